/**
 * Settings of which any may be left out or given as `undefined` (a flag the user did not give,
 * passed on as it is), both meaning "the default"; what {@link withDefaults} takes.
 *
 * @example
 * ```ts
 * const o: OptionalFields<SgdOptions> = { lr: 0.1, nesterov: process.env.NESTEROV === undefined ? undefined : process.env.NESTEROV === '1' };
 * ```
 */
export type OptionalFields<T> = { readonly [K in keyof T]?: T[K] | undefined };

/**
 * `defaults` with every field of `options` that is not `undefined` laid over it. A plain
 * `{ ...defaults, ...options }` lets `{ nesterov: undefined }` (a flag the user did not give,
 * passed on as it is) replace the default with `undefined`, which reads as `false`.
 *
 * @example
 * ```ts
 * withDefaults({ lr: 0.01, nesterov: true }, { nesterov: undefined }); // { lr: 0.01, nesterov: true }
 * ```
 */
export function withDefaults<T extends object>(defaults: T, options: OptionalFields<T>): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
