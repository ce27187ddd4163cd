// The benchmark's 100 interactions, through Chromium's real input pipeline
// (page.mouse, page.keyboard): clicks on buttons and fields, keys in the
// fields. Three in ten have a handler of 45–50 ms, so Event Timing reports
// them (≥ 40 ms); the "More" clicks add a row that shifts the cart down.
import { setTimeout as sleep } from 'node:timers/promises';

export const INTERACTIONS = 100;

/** Each step is one interaction; the list repeats. */
const CYCLE = [
  ['click', '#sort'], ['click', '#more'], ['click', '#add'], ['click', '#search'], ['key', 'a'],
  ['key', 'b'], ['click', '#qty'], ['key', '1'], ['key', '2'], ['click', '#add'],
];
// Long enough for the interaction's frame to paint before the next begins,
// so interactions stay apart (an interaction waiting for its frame would
// stretch to the next one's end).
const PAUSE_MS = 40;

async function click(page, selector) {
  const box = await page.locator(selector).boundingBox(); // read each time: rows move the cart
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

export async function interact(page) {
  for (let i = 0; i < INTERACTIONS; i += 1) {
    const [kind, what] = CYCLE[i % CYCLE.length];
    if (kind === 'click') await click(page, what);
    else await page.keyboard.press(what);
    await sleep(PAUSE_MS);
  }
}
