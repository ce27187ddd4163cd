// The DOM reads the vitals' attribution needs, moved unchanged from the
// agent's inline JS: they walk nodes, which only JS can do without a call
// across the wasm boundary per step.

/** The CSS selector web-vitals' attribution gives a node (its `getSelector`, Apache-2.0): `tag.classes` (or `#id`, where the walk stops) joined by `>` from the outermost part kept, at most 100 characters unless one part alone is longer; '' for no node. */
export function selector(node) {
  let selector = '';
  try {
    while (node && node.nodeType !== 9) {
      const part = node.id
        ? '#' + node.id
        : [node.nodeType === 1 ? node.nodeName.toLowerCase() : node.nodeName.toUpperCase().replace(/^#/, ''),
           ...Array.from(node.classList || []).sort()].join('.');
      if (selector.length + part.length > 99) return selector || part;
      selector = selector ? part + '>' + selector : part;
      if (node.id) break;
      node = node.parentNode;
    }
  } catch {}
  return selector;
}

/** The element whose change moved a layout shift's sources: the one just before the source first in the document (else its parent), since content that grew there pushed everything after it; a source moved inside a shadow root is its host's own. */
export function shiftCause(sources) {
  let first, inside;
  try {
    for (const source of sources) {
      let node = source.node, hidden = false;
      if (node && node.nodeType !== 1) node = node.parentElement;
      // Content that moved inside a shadow root is reported as an ancestor
      // outside it, or as no node at all (wujie's sandboxed DOM, micro-app's
      // inline element): the host at the top of the moved area is nearer. An
      // element whose own top is the moved area's moved whole: it is the
      // source, not a host inside it.
      const rect = source.currentRect;
      const host = rect && document.elementFromPoint(rect.x + rect.width / 2, rect.y + 1);
      if (host && host.shadowRoot && (!node || (host !== node && node.contains(host) && node.getBoundingClientRect().top !== rect.top))) node = host, hidden = true;
      if (node && (!first || node.compareDocumentPosition(first) & 4)) first = node, inside = hidden;
    }
    // What grew inside a host is the host's own content.
    return first && (inside ? first : first.previousElementSibling || first.parentElement);
  } catch {}
}

/** The app whose DOM container (`data-canopy-app`) holds `node` (a text node: its parent element), looking out through shadow roots to their hosts; undefined when none. */
export function ownerNameOfNode(node) {
  try {
    // Out through each shadow root to its host: a node in one is the app's
    // whose container holds the host. nodeType, not instanceof: a sandbox
    // iframe's nodes are another realm's.
    for (let element = node.nodeType === 1 ? node : node.parentElement; element; element = element.getRootNode().host) {
      const container = element.closest('[data-canopy-app]');
      if (container) return container.getAttribute('data-canopy-app');
    }
  } catch {}
}
