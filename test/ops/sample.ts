// A Sample-like carrier for operator tests (not a test file itself: mocha only picks up *.test.ts).
export function sample<I>(image: I, label = 3, path = 'cls/img.jpg'): { image: I; label: number; path: string } {
  return { image, label, path };
}
