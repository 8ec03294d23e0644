// Shared RxJS checklist for the built-in image operators (not a test file itself: mocha only
// picks up *.test.ts). Each operator's test file calls it with its own inputs and expected
// values, computed with fresh generators of the same seed where the operator is random.
import type { Observable } from 'rxjs';
import type { ImageValue } from '../../src/ops/mapImage';
import { runMarbles } from '../../src/ops/marbleTest';

type AnyOperator = (source: Observable<ImageValue>) => Observable<unknown>;

export interface ChecklistCase {
  /** A fresh operator (fresh Rng of a fixed seed) for each marble run. */
  make: () => unknown;
  /** Two valid inputs: `a` is used as a Sample-like carrier, `b` as a bare image. */
  a: ImageValue;
  b: ImageValue;
  /** Expected outputs for a then b, from the same fresh state as make(). */
  expected: () => { x: unknown; y: unknown };
  /** An input the kernel rejects, and the error it must raise. */
  bad: ImageValue;
  badError: RegExp;
}

export function operatorChecklist(c: ChecklistCase): void {
  const op = (): AnyOperator => c.make() as AnyOperator;

  it('marbles: maps every value, keeping carrier fields', () => {
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b-|', { a: c.a, b: c.b });
      const subs = /**/ '^-----!';
      const want = /**/ '-x--y-|';
      const { x, y } = c.expected();
      expectObservable(src.pipe(op())).toBe(want, { x, y });
      expectSubscriptions(src.subscriptions).toBe(subs);
    });
  });

  it('marbles: a throwing kernel errors the stream and unsubscribes upstream', () => {
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b--a-|', { a: c.a, b: c.bad });
      const subs = /**/ '^---!';
      const want = /**/ '-x--#';
      expectObservable(src.pipe(op())).toBe(want, { x: c.expected().x }, c.badError);
      expectSubscriptions(src.subscriptions).toBe(subs);
    });
  });

  it('marbles: passes an upstream error through unchanged', () => {
    const boom = new Error('upstream failed');
    runMarbles(({ cold, expectObservable }) => {
      const src = cold('-a--#', { a: c.a }, boom);
      const want = /**/ '-x--#';
      expectObservable(src.pipe(op())).toBe(want, { x: c.expected().x }, boom);
    });
  });

  it('marbles: completes on an empty source', () => {
    runMarbles(({ cold, expectObservable }) => {
      expectObservable(cold<ImageValue>('|').pipe(op())).toBe('|');
      expectObservable(cold<ImageValue>('---|').pipe(op())).toBe('---|');
    });
  });

  it('marbles: early unsubscribe stops upstream', () => {
    runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a--b--a-|', { a: c.a, b: c.b });
      const unsub = /**/ '^---!';
      const want = /**/ '-x--';
      const { x } = c.expected();
      expectObservable(src.pipe(op()), unsub).toBe(want, { x });
      expectSubscriptions(src.subscriptions).toBe(unsub);
    });
  });

  it('passes Skip values through untouched', () => {
    const s = { kind: 'skip' as const, path: 'x.jpg', reason: 'empty' as const, message: 'file has 0 bytes' };
    runMarbles(({ cold, expectObservable }) => {
      expectObservable(cold('-s|', { s }).pipe(op())).toBe('-s|', { s });
    });
  });
}

/** A Sample-like carrier around an image. */
export function sample<I>(image: I, label = 3, path = 'cls/img.jpg'): { image: I; label: number; path: string } {
  return { image, label, path };
}
