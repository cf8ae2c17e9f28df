/*
 * Building DOM nodes without markup: text always goes in as textContent or attribute values, never through
 * innerHTML, so a process name such as `<img src=x onerror=...>` from an event shows as those characters.
 */
/* global document */

const SVG_NS = 'http://www.w3.org/2000/svg'

/**
 * h('td', { class: 'num', title: 'x', on: { click: fn } }, 'text', childNode, ...)
 * Children: strings become text nodes; null/undefined/false are skipped; arrays are flattened.
 */
export function h (tag, props = {}, ...children) {
  return fill(document.createElement(tag), props, children)
}

/** The same for SVG elements. */
export function s (tag, props = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), props, children)
}

function fill (element, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler)
    } else if (key === 'dataset') {
      for (const [name, v] of Object.entries(value)) element.dataset[name] = String(v)
    } else if (key === 'text') {
      element.textContent = String(value)
    } else {
      element.setAttribute(key, value === true ? '' : String(value))
    }
  }
  append(element, children)
  return element
}

function append (element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(element, child)
    else element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child)
  }
}

/** Replaces an element's children. */
export function replaceChildren (element, ...children) {
  element.replaceChildren()
  append(element, children)
  return element
}

export function byId (id) {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the page has no #${id}`)
  return element
}
