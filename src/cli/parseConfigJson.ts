import * as E from 'fp-ts/Either';

/**
 * Parses the text of a `--config` file: the value, or one line saying what is wrong and where.
 * A UTF-8 byte-order mark (Windows Notepad writes one) is dropped, as Node's own `require` of
 * JSON does; an empty file says so; a syntax error names the line and column (V8 names a
 * character offset, useless in a file of 40 lines), and the usual culprits, comments and
 * trailing commas, which JSON does not allow, are named when they are the cause.
 *
 * @example
 * ```ts
 * parseConfigJson('\ufeff{"epochs": 2}');          // right({ epochs: 2 })
 * parseConfigJson('{\n  // mine\n  "epochs": 2\n}'); // left('line 2, column 3: a comment; JSON has none (…)')
 * ```
 */
export function parseConfigJson(text: string): E.Either<string, unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return E.left('the file is empty; expected a JSON object of config fields ({ "data": { "train": … }, … })');
  try {
    return E.right(JSON.parse(body));
  } catch (e) {
    const message = (e as Error).message;
    // V8 gives an offset for some errors only ("Unexpected token ']', "…" is not valid JSON"
    // has none), so comments and trailing commas are looked for in the text itself.
    const found = culprit(body);
    const at = found?.at ?? errorOffset(body, message);
    if (at === undefined) return E.left(message);
    const before = body.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    const what = found?.what ?? (at >= body.trimEnd().length ? 'the file ends before the JSON does (a missing } or ]?)' : describeSyntaxError(message));
    return E.left(`line ${line}, column ${column}: ${what}`);
  }
}

// Where V8 says the error is: "… in JSON at position 12", or the end of the text for
// "Unexpected end of JSON input".
function errorOffset(body: string, message: string): number | undefined {
  const pos = /at position (\d+)/.exec(message);
  if (pos !== null) return Math.min(Number(pos[1]), body.length);
  if (/end of JSON input/i.test(message)) return body.length;
  return undefined;
}

/** The first comment or trailing comma outside strings, the usual reasons a hand-edited config is not JSON. */
function culprit(body: string): { at: number; what: string } | undefined {
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '/' && (body[i + 1] === '/' || body[i + 1] === '*')) {
      return { at: i, what: 'a comment; JSON has none (remove it)' };
    } else if (c === ',') {
      const close = /^\s*[}\]]/.exec(body.slice(i + 1));
      if (close !== null) return { at: i, what: 'a comma before a closing bracket; JSON allows no trailing comma (remove it)' };
    }
  }
  return undefined;
}

function describeSyntaxError(message: string): string {
  // "Unexpected token 'x', "…" is not valid JSON" / "… in JSON at position 3": the position is
  // given as line and column instead, and the quoted excerpt adds nothing to it.
  return message
    .replace(/,? ?".*" is not valid JSON$/s, '')
    .replace(/( in JSON)? at position \d+( \(line \d+ column \d+\))?$/, '');
}
