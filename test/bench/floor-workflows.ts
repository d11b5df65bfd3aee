import {
  allHandlersFinished,
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';

/**
 * The floors of bench:generations: workflows of the generation workflow's shape (started with
 * update-with-start, answered, then one more update ends them) that do no work of their own. What the
 * engine costs beyond these is what the engine itself does per generation.
 */
export const startUpdate = defineUpdate<number>('start');
export const completeUpdate = defineUpdate<number, [number]>('complete');

export interface FloorActivities {
  noop(n: number): Promise<number>;
}

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '10s' });
const { noop: localNoop } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '10s' });

async function shaped(step: (n: number) => Promise<number>): Promise<void> {
  let done = false;
  setHandler(startUpdate, () => step(1));
  setHandler(completeUpdate, async (n) => {
    const r = await step(n);
    done = true;
    return r;
  });
  await condition(() => done);
  await condition(allHandlersFinished);
}

/** Handlers answer at once: Temporal's own cost of the lifecycle. */
export async function bareFloor(): Promise<void> {
  await shaped(async (n) => n);
}

/** One no-op activity behind each update. */
export async function activityFloor(): Promise<void> {
  await shaped(noop);
}

/** One no-op local activity behind each update. */
export async function localActivityFloor(): Promise<void> {
  await shaped(localNoop);
}
