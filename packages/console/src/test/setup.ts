import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';

// findBy*/waitFor wait for the state, not a fixed time: give a busy machine room (the default is 1 s).
configure({ asyncUtilTimeout: 15_000 });

// jsdom lacks these browser APIs that antd's responsive components call.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(globalThis as { ResizeObserver?: unknown }).ResizeObserver ??= ResizeObserverStub;

// After each test, the document is left as a new one would be: cleanup() unmounts what render() mounted, and what
// antd put into the body outside it (a notice still on its timer, a dialog's container) goes too. The files of the
// `console` project share one jsdom per worker (vitest.config.ts), so what one test leaves would meet the next file.
// Tests answer the API with a fake `fetch` (test/render.tsx fakeFetch, fakeApi): the real one is put back after each,
// so no test meets another's canned answers. Kept once per worker: this file runs again before each file.
const REAL_FETCH = Symbol.for('mpop.realFetch');
const kept = globalThis as unknown as Record<symbol, typeof fetch>;
kept[REAL_FETCH] ??= globalThis.fetch;
afterEach(() => {
  cleanup();
  document.body.replaceChildren();
  globalThis.fetch = kept[REAL_FETCH];
});

// jsdom computes styles slowly: an inherited property (visibility, pointer-events) is resolved by asking every
// ancestor, and each ancestor its own ancestors again. Testing Library asks for the style of every element a role
// query looks at, and of its ancestors, at every poll of findBy/waitFor: that was about 60 % of a dialog test's time.
// Reads are memoised for as long as jsdom's own style cache lives: jsdom drops that cache on every change to the
// document (an attribute, a child, a style sheet), and the memo goes with it, so a read is never stale. A declaration
// held past a change reads afresh, as a browser's live one would.
const implOf = (o: object): { _styleCache?: object } | undefined => {
  const symbol = Object.getOwnPropertySymbols(o).find((s) => s.description === 'impl');
  return symbol ? (o as Record<symbol, { _styleCache?: object }>)[symbol] : undefined;
};
const documentImpl = implOf(document);
// Files of the `console` project share one jsdom per worker, and this file runs before each: install once.
const MEMOISED = Symbol.for('mpop.memoisedComputedStyle');
if (documentImpl?._styleCache && !(MEMOISED in window)) {
  Object.defineProperty(window, MEMOISED, { value: true });
  const computed = window.getComputedStyle.bind(window);
  let generation: object | undefined;
  let memo = new WeakMap<Element, CSSStyleDeclaration>();
  /** jsdom's style cache now; a new one empties the memo. */
  const current = (): object => {
    const cache = documentImpl._styleCache as object;
    if (cache !== generation) {
      generation = cache;
      memo = new WeakMap();
    }
    return cache;
  };
  const memoised = (element: Element, declaration: CSSStyleDeclaration, made: object): CSSStyleDeclaration => {
    const values = new Map<string | symbol, unknown>();
    const read = new Map<string, string>();
    const getPropertyValue = (name: string) => {
      if (current() !== made) return computed(element).getPropertyValue(name);
      const known = read.get(name);
      if (known !== undefined) return known;
      const value = declaration.getPropertyValue(name);
      read.set(name, value);
      return value;
    };
    return new Proxy(declaration, {
      get(target, property) {
        if (current() !== made) return Reflect.get(computed(element), property);
        if (property === 'getPropertyValue') return getPropertyValue;
        if (values.has(property)) return values.get(property);
        const value = Reflect.get(target, property, target);
        const kept = typeof value === 'function' ? value.bind(target) : value;
        values.set(property, kept);
        return kept;
      },
    });
  };
  window.getComputedStyle = (element: Element, pseudo?: string | null) => {
    if (pseudo) return computed(element, pseudo);
    const made = current();
    let declaration = memo.get(element);
    if (!declaration) {
      declaration = memoised(element, computed(element), made);
      memo.set(element, declaration);
    }
    return declaration;
  };
}
