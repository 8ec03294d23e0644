import * as fs from 'node:fs';
import * as path from 'node:path';
import { Observable } from 'rxjs';
import type { EventSink } from './EventSink';
import { replaceFileSync } from './replaceFileSync';
import type { EpochEnd } from './TrainEvent';
import { epochHistory, writeCharts, type ChartOptions } from './writeCharts';

/**
 * Options of {@link chartWriter}.
 *
 * @example
 * ```ts
 * const o: ChartWriterOptions = { redraw: 'end', title: 'sample run' };
 * ```
 */
export interface ChartWriterOptions extends ChartOptions {
  /** Redraw after every epoch (default) or only when the stream ends. */
  readonly redraw?: 'epoch' | 'end' | undefined;
}

/**
 * File, next to the charts, holding the epochs drawn so far, so a resumed run draws the whole history.
 *
 * @example
 * ```ts
 * path.join('runs/a', CHART_HISTORY_FILE); // runs/a/history.json
 * ```
 */
export const CHART_HISTORY_FILE = 'history.json';

function readHistory(file: string): EpochEnd[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is EpochEnd =>
        typeof e === 'object' && e !== null && (e as EpochEnd).kind === 'EpochEnd' && typeof (e as EpochEnd).epoch === 'number',
    );
  } catch {
    // a corrupt history only costs the earlier points, never the run
    return [];
  }
}

/**
 * Draws `plot.png` and `lr.png` (see {@link writeCharts}) into `outDir` as an
 * {@link EventSink}, redrawing after each epoch; renders never overlap (a redraw requested
 * during one runs once it ends). The epochs are kept in `outDir/history.json`: a resumed run
 * (`TrainBegin.resumedFrom` set) continues the curves of the earlier run, replacing epochs it
 * trains again; a fresh run starts new curves. Completes when the last redraw is written.
 *
 * @example
 * ```ts
 * chartWriter('runs/alexnet', { title: 'AlexNet on Caltech256' })(events$).subscribe();
 * ```
 */
export function chartWriter(outDir: string, opts: ChartWriterOptions = {}): EventSink {
  const historyFile = path.join(outDir, CHART_HISTORY_FILE);
  return (events$) =>
    new Observable<never>((subscriber) => {
      let history: EpochEnd[] = readHistory(historyFile);
      let rendering: Promise<void> | undefined;
      let dirty = false;
      let closed = false;

      const render = (): void => {
        if (closed) return;
        if (rendering !== undefined) {
          dirty = true;
          return;
        }
        dirty = false;
        rendering = writeCharts(history, outDir, opts).then(
          () => {
            rendering = undefined;
            if (dirty) render();
          },
          (err: unknown) => {
            rendering = undefined;
            subscriber.error(new Error(`charts: cannot draw into ${outDir}: ${(err as Error).message}`));
          },
        );
      };
      const whenIdle = async (): Promise<void> => {
        while (rendering !== undefined) await rendering;
      };

      const sub = events$.subscribe({
        next: (e) => {
          try {
            if (e.kind === 'TrainBegin' && e.resumedFrom === undefined) history = [];
            if (e.kind !== 'EpochEnd') return;
            history = epochHistory([...history, e]);
            fs.mkdirSync(outDir, { recursive: true });
            // A kill mid-write must not cost the earlier epochs' points.
            replaceFileSync(historyFile, JSON.stringify(history));
            if ((opts.redraw ?? 'epoch') === 'epoch') render();
          } catch (err) {
            subscriber.error(new Error(`charts: cannot write ${historyFile}: ${(err as Error).message}`));
          }
        },
        error: (err: unknown) => {
          void whenIdle().then(() => subscriber.error(err));
        },
        complete: () => {
          void (async () => {
            await whenIdle();
            if (opts.redraw === 'end' || dirty) render();
            await whenIdle();
            subscriber.complete();
          })();
        },
      });
      return () => {
        closed = true;
        sub.unsubscribe();
      };
    });
}
