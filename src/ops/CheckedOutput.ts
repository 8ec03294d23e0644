import type { Observable } from 'rxjs';
import type { OperatorOutput } from './operatorChecklist';
import type { AnyImage } from './assertImage';
import type { WithImage } from './mapImage';

/**
 * The type an expected output `V` of operator `Op` for the input type `In` is checked against:
 * {@link CheckedValue} against what `Op` emits (`O`); then, for a generic operator (an image
 * operator's `<T extends ImageValue<I>>`, whose `O` is only its constraint), also against what
 * it emits for `In` itself, so a carrier dropped from the expectation of a carrier input (a
 * bare image expected) is an error naming the carrier type. An operator keeping the value type
 * (`MonoImageOperator`, `mapSameImage(kernel)`) emits `In`; `mapImage(kernel)` and `normalize`
 * emit `In` with its image retyped (`WithImage`); for a generic operator of another shape the
 * expectation is held to `O` alone. A non-generic operator's expectation may be narrower than
 * what it emits (an `Image` for a bare input to an `OperatorFunction<Sample | Image, …>`).
 *
 * @example
 * ```ts
 * type Op = MonoImageOperator<Image>;
 * type Carrier = { image: Image; label: number; path: string };
 * type Ok = CheckedOutput<Carrier, Op, Carrier>; // Carrier
 * type Dropped = CheckedOutput<Image, Op, Carrier>; // Carrier, which an Image is not
 * ```
 */
export type CheckedOutput<V, Op, In> = unknown extends V
  ? V
  : [V] extends [OperatorOutput<Op>]
    ? IsGenericOperator<Op> extends true
      ? OutputFor<Op, In, V>
      : V
    : OperatorOutput<Op>;

// An assignment instantiates a generic operator for the input it is given (`infer`, as in
// OperatorOutput, only sees its constraint): `never` in, `never` out for one whose output
// follows its input type.
type IsGenericOperator<Op> = unknown extends OperatorOutput<Op>
  ? false
  : [Op] extends [(source: Observable<never>) => Observable<never>]
    ? true
    : false;

type OutputFor<Op, In, V> = [Op] extends [(source: Observable<In>) => Observable<V>]
  ? V
  : [Op] extends [(source: Observable<In>) => Observable<In>]
    ? In
    : [Op] extends [(source: Observable<In>) => Observable<WithImage<In, Extract<OperatorOutput<Op>, AnyImage>>>]
      ? WithImage<In, Extract<OperatorOutput<Op>, AnyImage>>
      : V;
