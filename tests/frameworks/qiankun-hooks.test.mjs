// trackQiankun's logic on its own, in Node: what each qiankun signal reports
// to the page's hub (a recording stand-in on the hub's global), including
// the mount timeout and bad input, which the browser scenario does not reach.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const calls = [];
globalThis[Symbol.for('canopy.agent.hub')] = {
  protocol: 2,
  appMounted: (name) => calls.push(['mounted', name]),
  appFailed: (name, error) => calls.push(['failed', name, String(error && error.message ? error.message : error)]),
};
const { trackQiankun } = await import('@canopy/agent/qiankun');

/** A stand-in for qiankun's module: the error handler it was given. */
function fakeQiankun() {
  const qiankun = { addErrorHandler: (handler) => (qiankun.handler = handler) };
  return qiankun;
}
const wrapper = (name) => ({ id: `__qiankun_microapp_wrapper_for_${name}__`, dataset: {} });

test('failures, mounts and the wrapper mark, under Canopy\'s app names', async () => {
  calls.length = 0;
  const qiankun = fakeQiankun();
  const hooks = trackQiankun(qiankun, { apps: { 'shop-cart': 'cart' }, rethrow: false });
  const ownWrapper = wrapper('shop-cart');
  const app = { name: 'shop-cart', container: { children: [{ id: 'other', dataset: {} }, ownWrapper] } };
  await hooks.beforeLoad(app);
  await hooks.beforeMount(app);
  assert.equal(ownWrapper.dataset.canopyApp, 'cart');
  await hooks.afterMount(app);
  qiankun.handler(Object.assign(new Error("application 'shop-cart' died in status LOADING_SOURCE_CODE"), { appOrParcelName: 'shop-cart' }));
  qiankun.handler(Object.assign(new Error('mount failed'), { appOrParcelName: 'catalog' }));
  assert.deepEqual(calls, [
    ['mounted', 'cart'],
    ['failed', 'cart', "application 'shop-cart' died in status LOADING_SOURCE_CODE"],
    ['failed', 'catalog', 'mount failed'],
  ]);
});

test('an app that loaded but did not mount in time is a failed load, once', async (t) => {
  calls.length = 0;
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const hooks = trackQiankun(fakeQiankun(), { timeoutMs: 20 });
  await hooks.beforeLoad({ name: 'slow' });
  await hooks.beforeMount({ name: 'slow' }); // no container given: nothing to mark, and no throw
  await hooks.beforeLoad({ name: 'quick' });
  await hooks.afterMount({ name: 'quick' });
  t.mock.timers.tick(19);
  assert.deepEqual(calls, [['mounted', 'quick']]);
  t.mock.timers.tick(100); // the quick app's timer was cleared at its mount
  assert.deepEqual(calls, [['mounted', 'quick'], ['failed', 'slow', 'did not mount within 20 ms']]);
});

test('anything but the qiankun module: one warning and no hooks', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  assert.deepEqual(trackQiankun(undefined), {});
  assert.equal(warn.mock.callCount(), 1);
  assert.match(warn.mock.calls[0].arguments[0], /^\[canopy\] trackQiankun: pass the qiankun module/);
});
