/**
 * The type a value of type `V` is checked against where a `T` is expected: `V` itself when it
 * is a `T`; otherwise `T`, so that the compile error names what was expected ("Type 'number' is
 * not assignable to type 'ImageValue<Image>'"); and `V` again when `V` is `unknown` (or `any`),
 * since a value whose type says nothing (options typed without type arguments) cannot be checked
 * and compiled before. Inferring `V` from the value and checking it so, rather than typing the
 * value `T`, lets a carrier have fields of its own: `label` is then no "excess property".
 *
 * @example
 * ```ts
 * type Ok = CheckedValue<Sample, ImageValue<Image>>; // Sample
 * type Wrong = CheckedValue<number, ImageValue<Image>>; // ImageValue<Image>, which a number is not
 * ```
 */
export type CheckedValue<V, T> = unknown extends V ? V : [V] extends [T] ? V : T;
