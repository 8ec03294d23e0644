import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger, type LogLevel } from '../../src/telemetry/createLogger';

const clock = () => new Date(Date.UTC(2026, 0, 31, 12, 0, 0, 5));

describe('createLogger', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes timestamped lines at and above its level to a console stream', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', console: { write: (t: string) => lines.push(t) }, clock });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    assert.deepEqual(lines, ['2026-01-31T12:00:00.005Z WARN  w\n', '2026-01-31T12:00:00.005Z ERROR e\n']);
    assert.equal(log.enabled('info'), false);
    assert.equal(log.enabled('error'), true);
  });

  it('prefixes every line of a multi-line message', () => {
    const lines: string[] = [];
    const log = createLogger({ console: { write: (t: string) => lines.push(t) }, clock });
    log.info('a\nb');
    assert.equal(lines.join(''), '2026-01-31T12:00:00.005Z INFO  a\n2026-01-31T12:00:00.005Z INFO  b\n');
  });

  it('appends to its file across loggers (a resumed run continues the log), creating folders', () => {
    const file = path.join(dir, 'run', 'train.log');
    const a = createLogger({ level: 'debug', file, console: false, clock });
    a.debug('first run');
    a.close();
    const b = createLogger({ level: 'info', file, console: false, clock });
    b.debug('hidden');
    b.info('second run');
    b.close();
    b.info('after close goes nowhere');
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      '2026-01-31T12:00:00.005Z DEBUG first run\n2026-01-31T12:00:00.005Z INFO  second run\n',
    );
  });

  it('with onFileError, a file that stops taking lines (a full disk) is reported once and the console goes on', () => {
    const lines: string[] = [];
    const errors: string[] = [];
    // /dev/full opens fine and fails every write with ENOSPC.
    const log = createLogger({ file: '/dev/full', console: { write: (t: string) => lines.push(t) }, clock, onFileError: (e) => errors.push(e.message) });
    log.info('one');
    log.info('two');
    assert.equal(lines.length, 2);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /ENOSPC/);
    assert.throws(() => createLogger({ file: '/dev/full', console: false }).info('x'), /ENOSPC/, 'without it, the write throws as before');
  });

  it('with onFileError, a file that cannot be opened (a folder by its name) is reported once and the console goes on', () => {
    const folder = path.join(dir, 'a-folder.log');
    fs.mkdirSync(folder);
    const lines: string[] = [];
    const errors: string[] = [];
    const log = createLogger({ file: folder, console: { write: (t: string) => lines.push(t) }, clock, onFileError: (e, during) => errors.push(`${during} ${(e as NodeJS.ErrnoException).code}`) });
    log.info('one');
    log.info('two');
    log.close();
    assert.deepEqual(errors, ['open EISDIR']);
    assert.equal(lines.length, 2);
  });

  it('rejects unknown levels and unwritable files with clear errors', () => {
    assert.throws(() => createLogger({ level: 'verbose' as LogLevel }), /unknown level 'verbose'/);
    fs.writeFileSync(path.join(dir, 'f'), '');
    assert.throws(() => createLogger({ file: path.join(dir, 'f', 'x.log'), console: false }), /cannot open log file .*x\.log/);
  });
});
