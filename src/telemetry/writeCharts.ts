import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { EpochEnd, TrainEvent } from './TrainEvent';

/**
 * Options of {@link writeCharts}.
 *
 * @example
 * ```ts
 * const o: ChartOptions = { width: 480, height: 300, title: 'AlexNet' };
 * ```
 */
export interface ChartOptions {
  /** Width of one chart panel in CSS pixels (default 360). */
  readonly width?: number | undefined;
  /** Height of one chart panel in CSS pixels (default 240). */
  readonly height?: number | undefined;
  /** Pixel density of the PNG (default 2: crisp on high-DPI screens). */
  readonly scale?: number | undefined;
  /** Title above the loss/accuracy chart. */
  readonly title?: string | undefined;
}

/**
 * Paths of the files written by {@link writeCharts}.
 *
 * @example
 * ```ts
 * const { plot, lr }: ChartFiles = await writeCharts(events, 'runs/a');
 * ```
 */
export interface ChartFiles {
  /** Loss and accuracy per epoch, train and val. */
  readonly plot: string;
  /** Learning rate per epoch. */
  readonly lr: string;
}

interface Row {
  readonly epoch: number;
  readonly metric: 'loss' | 'accuracy';
  readonly split: 'train' | 'val' | 'val top-5';
  readonly value: number;
}

/**
 * The epochs of a history, one per epoch (the last report of an epoch wins, as after a
 * resume), in epoch order.
 *
 * @example
 * ```ts
 * epochHistory(events).map((e) => e.valAccuracy);
 * ```
 */
export function epochHistory(history: readonly (TrainEvent | EpochEnd)[]): EpochEnd[] {
  const byEpoch = new Map<number, EpochEnd>();
  for (const e of history) if (e.kind === 'EpochEnd') byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

function finite(x: number | undefined): x is number {
  return x !== undefined && Number.isFinite(x);
}

/**
 * The Vega-Lite spec of `plot.png`: loss and accuracy panels, one line per split, and in the
 * accuracy panel the validation top-5 accuracy when the epochs have it (more than 5 classes).
 *
 * @example
 * ```ts
 * const png = await renderVegaLitePng(metricsChartSpec(epochHistory(events)));
 * ```
 */
export function metricsChartSpec(epochs: readonly EpochEnd[], opts: ChartOptions = {}): Record<string, unknown> {
  const rows: Row[] = [];
  for (const e of epochs) {
    const x = e.epoch + 1;
    if (finite(e.trainLoss)) rows.push({ epoch: x, metric: 'loss', split: 'train', value: e.trainLoss });
    if (finite(e.valLoss)) rows.push({ epoch: x, metric: 'loss', split: 'val', value: e.valLoss });
    if (finite(e.trainAccuracy)) rows.push({ epoch: x, metric: 'accuracy', split: 'train', value: e.trainAccuracy });
    if (finite(e.valAccuracy)) rows.push({ epoch: x, metric: 'accuracy', split: 'val', value: e.valAccuracy });
    if (finite(e.valTop5Accuracy)) rows.push({ epoch: x, metric: 'accuracy', split: 'val top-5', value: e.valTop5Accuracy });
  }
  // The third line only when there is one (more than 5 classes): a legend entry without a line would puzzle.
  const top5 = rows.some((r) => r.split === 'val top-5');
  const splits = top5 ? ['train', 'val', 'val top-5'] : ['train', 'val'];
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c'].slice(0, splits.length);
  const panel = (metric: 'loss' | 'accuracy'): Record<string, unknown> => ({
    width: opts.width ?? 360,
    height: opts.height ?? 240,
    title: metric,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: metric,
        scale: metric === 'accuracy' ? { domain: [0, 1] } : { zero: false },
        axis: metric === 'accuracy' ? { format: '.0%' } : {},
      },
      color: { field: 'split', type: 'nominal', title: null, scale: { domain: splits, range: colours } },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title ?? 'training history',
    background: 'white',
    padding: 12,
    data: { values: rows },
    hconcat: [panel('loss'), panel('accuracy')],
  };
}

/**
 * The Vega-Lite spec of `lr.png`: learning rate per epoch, log scale.
 *
 * @example
 * ```ts
 * const png = await renderVegaLitePng(lrChartSpec(epochHistory(events)));
 * ```
 */
export function lrChartSpec(epochs: readonly EpochEnd[], opts: ChartOptions = {}): Record<string, unknown> {
  const rows = epochs.filter((e) => finite(e.lr) && e.lr > 0).map((e) => ({ epoch: e.epoch + 1, lr: e.lr }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'learning rate',
    background: 'white',
    padding: 12,
    width: opts.width ?? 360,
    height: opts.height ?? 240,
    data: { values: rows },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log' }, axis: { format: '.0e' } },
    },
  };
}

/**
 * Renders a Vega-Lite spec to PNG bytes, headless: Vega-Lite → Vega → SVG (no canvas
 * needed), then sharp rasterises the SVG.
 *
 * @example
 * ```ts
 * await fs.writeFile('chart.png', await renderVegaLitePng(spec));
 * ```
 */
export async function renderVegaLitePng(spec: Record<string, unknown>, scale = 2): Promise<Buffer> {
  // vega and vega-lite are ESM-only; module node16 keeps this a real import() in CommonJS.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG(scale);
    return await sharp(Buffer.from(svg), { density: 72 }).png().toBuffer();
  } finally {
    view.finalize();
  }
}

async function writeAtomic(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    // A full disk: the error is reported; a half-written PNG per process would be litter.
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Draws the training history as `<outDir>/plot.png` (loss and accuracy per epoch, train and
 * validation) and `<outDir>/lr.png` (learning rate per epoch, log scale). Accepts the
 * `EpochEnd` events or a whole event stream's events; epochs are plotted 1-based. Files are
 * replaced atomically, so a viewer never sees half a PNG.
 *
 * @example
 * ```ts
 * const { plot, lr } = await writeCharts(events, 'runs/alexnet');
 * ```
 */
export async function writeCharts(
  history: readonly (TrainEvent | EpochEnd)[],
  outDir: string,
  opts: ChartOptions = {},
): Promise<ChartFiles> {
  const epochs = epochHistory(history);
  const scale = opts.scale ?? 2;
  await fs.mkdir(outDir, { recursive: true });
  const plot = path.join(outDir, 'plot.png');
  const lr = path.join(outDir, 'lr.png');
  const [plotPng, lrPng] = await Promise.all([
    renderVegaLitePng(metricsChartSpec(epochs, opts), scale),
    renderVegaLitePng(lrChartSpec(epochs, opts), scale),
  ]);
  await writeAtomic(plot, plotPng);
  await writeAtomic(lr, lrPng);
  return { plot, lr };
}
