import type { Observable } from 'rxjs';
import type { TrainEvent } from './TrainEvent';

/**
 * The shape of every telemetry subscriber (TensorBoard writer, event logger, chart writer):
 * a function from the training event stream to an `Observable<never>` that subscribes to the
 * events, performs its side effects, and completes once the events complete AND its own
 * output is durable (files flushed, charts rendered). It errors if its own output cannot be
 * written, and passes an upstream error on after closing its files. Unsubscribing stops it
 * and closes its files.
 *
 * Several sinks subscribe to the same events, so share a cold training stream first.
 *
 * @example
 * ```ts
 * const events$ = train(opts).pipe(share()); // opts: TrainOptions
 * await lastValueFrom(
 *   merge(
 *     events$.pipe(ignoreElements()),
 *     tensorBoardWriter('runs/a/tb')(events$),
 *     eventLogger(createLogger({ level: 'info', file: 'runs/a/train.log' }))(events$),
 *     chartWriter('runs/a')(events$),
 *   ),
 *   { defaultValue: undefined },
 * );
 * ```
 */
export type EventSink = (events$: Observable<TrainEvent>) => Observable<never>;
