// tfjs-core's registerKernel warns once per kernel when a (backend, kernel) pair is registered
// again. Loading @tensorflow/tfjs-node-gpu and then @tensorflow/tfjs-node does that for every
// kernel of the 'tensorflow' backend when the first one fails after registering them, as both
// do when their libtensorflow binding is missing (npm held back their install scripts):
// about 150 lines that say nothing about the actual problem, which the backend attempts report.
const RE_REGISTERED = /^The kernel '[^']+' for backend '[^']+' is already registered$/;

/**
 * Runs `load` (which requires a tfjs backend package) with tfjs' "The kernel 'X' for backend
 * 'Y' is already registered" warnings dropped; every other `console.warn` goes through, and
 * `console.warn` is restored afterwards, also when `load` throws. Synchronous on purpose: a
 * package's `require` registers its kernels before it returns.
 *
 * @example
 * ```ts
 * withoutKernelReRegistrationWarnings(() => createRequire(__filename)('@tensorflow/tfjs-node'));
 * ```
 */
export function withoutKernelReRegistrationWarnings<T>(load: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]): void => {
    if (args.length === 1 && typeof args[0] === 'string' && RE_REGISTERED.test(args[0])) return;
    warn(...args);
  };
  try {
    return load();
  } finally {
    console.warn = warn;
  }
}
