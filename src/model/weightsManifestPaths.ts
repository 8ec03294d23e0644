import * as E from 'fp-ts/Either';
import * as t from 'io-ts';

/** The part of a TensorFlow.js model.json that names its weight files. */
const WeightsManifest = t.array(t.type({ paths: t.array(t.string) }));

/**
 * The weight files a TensorFlow.js model.json names (its `weightsManifest` groups' `paths`,
 * relative to the model.json), as written: whoever acts on them decides which are safe to open
 * (a path may hold `/` or `..`). No `weightsManifest` is no weight files; text that is not JSON,
 * or a manifest of another shape, is a `Left` saying so.
 *
 * @example
 * ```ts
 * weightsManifestPaths('{"weightsManifest":[{"paths":["weights.bin"],"weights":[]}]}'); // right(['weights.bin'])
 * weightsManifestPaths('{"modelTopology":{}}');                                        // right([])
 * ```
 */
export function weightsManifestPaths(modelJson: string): E.Either<string, string[]> {
  let json: unknown;
  try {
    json = JSON.parse(modelJson);
  } catch (e) {
    return E.left(`not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return E.left('not a JSON object');
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (manifest === undefined) return E.right([]);
  const decoded = WeightsManifest.decode(manifest);
  if (E.isLeft(decoded)) return E.left('its weightsManifest is not a list of { paths: [file names] }');
  return E.right(decoded.right.flatMap((group) => group.paths));
}
