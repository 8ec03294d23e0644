import { types } from 'node:util';

/**
 * Whether `v` is an Error, whichever realm made it. jest runs test files in a vm context of
 * their own, where an Error thrown by Node's modules (`node:assert` in a kernel, and the
 * AssertionError the marble helpers throw) is not an `instanceof` the test file's `Error`.
 * Internal to the marble helpers: not re-exported from `rxtrain/ops`.
 *
 * @example
 * ```ts
 * isErrorValue(vm.runInNewContext('new Error("x")')); // true, though not `instanceof Error` here
 * ```
 */
export function isErrorValue(v: unknown): v is Error {
  return v instanceof Error || types.isNativeError(v);
}

/** The realm's `Error.prototype` at the root of an error's prototype chain. */
function errorRoot(v: object): object | null {
  let p: object | null = Object.getPrototypeOf(v) as object | null;
  while (p !== null) {
    const up = Object.getPrototypeOf(p) as object | null;
    if (up === null || Object.getPrototypeOf(up) === null) return p;
    p = up;
  }
  return null;
}

/**
 * Same error class: the same constructor or, for errors made in two realms (see
 * {@link isErrorValue}), where no constructor can be the same, one of the same name.
 *
 * @example
 * ```ts
 * sameErrorClass(new RangeError('a'), vm.runInNewContext('new RangeError("b")')); // true
 * sameErrorClass(new RangeError('a'), new TypeError('a')); // false
 * ```
 */
export function sameErrorClass(a: Error, e: Error): boolean {
  if (a.constructor === e.constructor) return true;
  return errorRoot(a) !== errorRoot(e) && a.name === e.name && a.constructor.name === e.constructor.name;
}
