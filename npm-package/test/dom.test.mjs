// dom.js: selectors (web-vitals' getSelector), a layout shift's cause and a
// node's app, on stand-in nodes with the properties each reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selector, shiftCause, ownerNameOfNode } from '../agent/dom.js';

const documentNode = { nodeType: 9 };
const element = (nodeName, props = {}, parentNode = documentNode) => ({ nodeType: 1, nodeName, id: '', classList: [], parentNode, ...props });
const html = element('HTML');
const body = element('BODY', {}, html);

test('selectors name tag and sorted classes up to the nearest id', () => {
  const grid = element('DIV', { id: 'grid', classList: ['x'] }, body);
  assert.equal(selector(element('IMG', { classList: ['z', 'hero'] }, grid)), '#grid>img.hero.z');
  assert.equal(selector(element('P', {}, body)), 'html>body>p');
  assert.equal(selector({ nodeType: 3, nodeName: '#text', parentNode: element('P', {}, body) }), 'html>body>p>TEXT');
  assert.equal(selector(null), '');
  assert.equal(selector(documentNode), '');
});

test('selectors stop before 100 characters, unless one part alone is longer', () => {
  const wide = element('DIV', { classList: ['c'.repeat(60)] }, body);
  const inner = element('SPAN', { classList: ['s'.repeat(40)] }, wide);
  assert.equal(selector(inner), 'span.' + 's'.repeat(40));
  assert.equal(selector(element('DIV', { classList: ['c'.repeat(120)] }, body)), 'div.' + 'c'.repeat(120));
  const hostile = { nodeType: 1, nodeName: 'B', id: '', classList: [], get parentNode() { throw new Error('trap'); } };
  assert.equal(selector(hostile), 'b');
});

test('a shift is caused by what sits just before its first source', () => {
  globalThis.document = { elementFromPoint: () => null };
  const order = (node, index) => Object.assign(node, { index, compareDocumentPosition: (other) => (other.index > index ? 4 : 2) });
  const banner = order(element('DIV', {}, body), 1);
  const first = order(element('MAIN', { previousElementSibling: banner, parentElement: body }, body), 2);
  const later = order(element('FOOTER', { previousElementSibling: first, parentElement: body }, body), 3);
  const rect = { x: 0, y: 0, width: 10, top: 0 };
  assert.equal(shiftCause([{ node: later, currentRect: rect }, { node: first, currentRect: rect }]), banner);
  const onlyChild = order(element('P', { previousElementSibling: null, parentElement: later }), 4);
  assert.equal(shiftCause([{ node: onlyChild, currentRect: rect }]), later);
  // Moved inside a shadow root and reported as no node: the host is the cause.
  const host = element('WUJIE-APP', { shadowRoot: {} });
  globalThis.document = { elementFromPoint: () => host };
  assert.equal(shiftCause([{ node: null, currentRect: rect }]), host);
  assert.equal(shiftCause([]), undefined);
  assert.equal(shiftCause(null), undefined, 'never throws');
  delete globalThis.document;
});

test("a node's app is its container's, looking out through shadow roots", () => {
  const container = { getAttribute: (name) => name == 'data-canopy-app' && 'cart' };
  const host = { nodeType: 1, closest: () => container };
  const inShadow = { nodeType: 1, closest: () => null, getRootNode: () => ({ host }) };
  assert.equal(ownerNameOfNode(inShadow), 'cart');
  assert.equal(ownerNameOfNode({ nodeType: 3, parentElement: host }), 'cart');
  const outside = { nodeType: 1, closest: () => null, getRootNode: () => ({}) };
  assert.equal(ownerNameOfNode(outside), undefined);
  assert.equal(ownerNameOfNode(null), undefined);
});
