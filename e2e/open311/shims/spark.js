// The XML parsers the open311 package was written against are not on the
// npm registry any more (sparkxml was only ever a git dependency;
// xml2json needs a native build that no longer compiles). This module
// stands in for both: it parses with fast-xml-parser (a maintained
// third-party parser) and shapes the result as those two did, so that the
// open311 package's own XML code paths run unchanged.
'use strict';
const { XMLParser } = require('fast-xml-parser');

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: true, parseTagValue: false, trimValues: true });

function tagOf(node) {
  return Object.keys(node).find((k) => k !== ':@');
}

// element turns one parsed element's children into the Spark convention's
// value: text for a leaf, an array when every child has one name and the
// element is a container (its name is that name's plural, or it has more
// than one child), an object otherwise.
function element(name, children) {
  const elems = children.filter((c) => tagOf(c) !== '#text');
  if (elems.length === 0) {
    const text = children.map((c) => c['#text']).join('');
    return text;
  }
  const names = elems.map(tagOf);
  const same = names.every((n) => n === names[0]);
  if (same && (elems.length > 1 || name === names[0] + 's' || name.endsWith('s'))) {
    return elems.map((c) => element(names[0], c[names[0]]));
  }
  const out = {};
  for (const c of elems) {
    const n = tagOf(c);
    out[n] = element(n, c[n]);
  }
  return out;
}

function parse(xml) {
  const doc = parser.parse(xml).filter((n) => tagOf(n) !== '?xml');
  const root = tagOf(doc[0]);
  return { root, value: element(root, doc[0][root]) };
}

// sparkxml.parseXml: the root element dropped, as the Spark convention does.
exports.parseXml = (xml) => parse(xml).value;

// xml2json.toJson(xml, {object: true}): the root kept; one child stays an
// object, as xml2json gave it.
exports.toJson = (xml) => {
  const doc = parser.parse(xml).filter((n) => tagOf(n) !== '?xml');
  const root = tagOf(doc[0]);
  const kids = doc[0][root].filter((c) => tagOf(c) !== '#text');
  const obj = {};
  for (const c of kids) {
    const n = tagOf(c);
    const v = element(n, c[n]);
    obj[n] = obj[n] === undefined ? v : [].concat(obj[n], v);
  }
  return { [root]: obj };
};
