// Owns spreading the per-subscriber work of an event over turns of the event loop. One event to thousands
// of subscribers would otherwise be handled for all of them in one run (about 65 µs per subscriber: 160 ms
// at 2,500); in slices, HTTP requests and other events are served in between. Measured at 5,000 subscribers
// on two processes (bench/fanout.ts): longest event-loop delay during broadcasts 176 ms unsliced, 90–109 ms
// with slices of 256, 72–76 ms with 128 (2026-12-03). On a slower VM (2026-12-04, three runs each,
// alternated): 168, 68, 119 ms with 128; 71, 65, 52 ms with 64, the first receipt earlier (p50 32–38 against
// 55–62 ms), the last no later, the same CPU per broadcast.
//
// Two stages: `start` hands an event to a subscription (the feed hub's offers), `send` lets a subscriber whose
// result is ready write it (shared-execution.ts). Sends go first, so the first results go out before every
// subscriber has started on the event. Each queue is first in, first out: a subscription is offered its
// events in the order the hub delivered them.

export const SLICE = 64;

export type SliceStage = 'send' | 'start';

const queues: Record<SliceStage, Array<() => void>> = { send: [], start: [] };
let draining = false;

function drainSlice(): void {
  let budget = SLICE;
  for (const name of ['send', 'start'] as const) {
    const queue = queues[name];
    const take = Math.min(budget, queue.length);
    if (take === 0) continue;
    const slice = queue.splice(0, take);
    budget -= take;
    for (const work of slice) work();
  }
  if (queues.send.length > 0 || queues.start.length > 0) setImmediate(drainSlice);
  else draining = false;
}

/** Runs `work` in a later turn of the event loop, at most SLICE pieces of work per turn (`send` before `start`). */
export function inSlice(stage: SliceStage, work: () => void): void {
  queues[stage].push(work);
  if (!draining) {
    draining = true;
    setImmediate(drainSlice);
  }
}

/** Resolves in a later turn of the event loop, as `inSlice` runs its work. */
export function nextSlice(stage: SliceStage): Promise<void> {
  return new Promise((resolve) => inSlice(stage, resolve));
}
