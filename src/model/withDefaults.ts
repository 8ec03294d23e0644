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
export function withDefaults<T extends object>(defaults: T, options: { readonly [K in keyof T]?: T[K] | undefined }): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
