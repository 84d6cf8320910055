/**
 * A tiny, purpose-written XML reader for vendor CVR exports (Hart): elements, attributes, text, CDATA,
 * comments and processing instructions. Namespace prefixes are dropped from names (`cvr:Contest` →
 * `Contest`); the default namespace is ignored. A DOCTYPE with an internal subset (entity declarations)
 * is refused: nothing is expanded but the five predefined entities and character references.
 * Never throws: malformed input is an error message.
 */
import type { Result } from '../election/result.ts';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** the element's own text (concatenated, not trimmed) */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string | undefined {
  let bad = false;
  const out = s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    const e = ENTITIES[ref];
    if (e === undefined) bad = true;
    return e ?? '';
  });
  return bad ? undefined : out;
}

const localName = (name: string) => name.slice(name.indexOf(':') + 1);

export function parseXml(text: string, where = 'XML'): Result<XmlElement> {
  const fail = (what: string, at: number): Result<XmlElement> => {
    const line = text.slice(0, at).split('\n').length;
    return { ok: false, errors: [`Expected ${what} on line ${line} of ${where}`] };
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (chunk.trim() !== '') {
      const top = stack[stack.length - 1];
      if (!top) return fail('nothing but markup outside the root element', i);
      const d = decode(chunk);
      if (d === undefined) return fail('only the predefined entities (&amp; &lt; &gt; &quot; &apos;)', i);
      top.text += d;
    } else if (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top) top.text += chunk;
    }
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) return fail('the end of a comment', lt);
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end < 0) return fail('the end of a CDATA section', lt);
      const top = stack[stack.length - 1];
      if (top) top.text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) return fail('the end of a processing instruction', lt);
      i = end + 2;
    } else if (text.startsWith('<!DOCTYPE', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0 || text.slice(lt, end).includes('[')) return fail('a DOCTYPE without declarations', lt);
      i = end + 1;
    } else if (text.startsWith('</', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) return fail('the end of a closing tag', lt);
      const name = localName(text.slice(lt + 2, end).trim());
      const top = stack.pop();
      if (!top || top.name !== name) return fail(`</${top?.name ?? '(none)'}> but received </${name}>`, lt);
      i = end + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
        text.slice(lt, lt + 4096),
      );
      if (!m?.[1]) return fail('a well-formed tag', lt);
      const attributes: Record<string, string> = {};
      for (const a of (m[2] ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        const v = decode(a[2] ?? a[3] ?? '');
        if (v === undefined) return fail('only the predefined entities in attribute values', lt);
        if (a[1]) attributes[a[1]] = v;
      }
      const element: XmlElement = { name: localName(m[1]), attributes, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) return fail('a single root element', lt);
      else root = element;
      if (m[3] !== '/') stack.push(element);
      i = lt + m[0].length;
    }
  }
  if (stack.length > 0)
    return fail(`</${stack[stack.length - 1]?.name}> before the end of the file`, text.length);
  if (!root) return fail('a root element', 0);
  return { ok: true, value: root };
}

/** First child element with this (local) name. */
export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children.find((c) => c.name === name);
}

export function childrenNamed(e: XmlElement | undefined, name: string): XmlElement[] {
  return e ? e.children.filter((c) => c.name === name) : [];
}

/** Trimmed text of the first child with this name, or undefined. */
export function childText(e: XmlElement | undefined, name: string): string | undefined {
  const c = child(e, name);
  return c ? c.text.trim() : undefined;
}
