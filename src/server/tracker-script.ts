/**
 * The browser tracker served at GET /tracker.js, as text (README, "Browser
 * tracker"). It lives in a .ts module rather than an asset file so that it
 * ships wherever the compiled server goes (dist/, the npm package, the Docker
 * image) with no path to resolve at run time and no extra copy step; the
 * price is that biome does not lint inside the string, so test/tracker.e2e
 * parses it and runs it in Chromium.
 *
 * Hand-written ES2017 (no ?., ??, object spread or catch without a binding),
 * one IIFE, no build step. Rules it keeps: never block the page (no
 * synchronous request; sendBeacon or fetch keepalive), never throw into it
 * (every entry point is wrapped; the wrapped history methods rethrow only the
 * page's own errors), never send a form field's value. It must hold no
 * backtick and no dollar-brace: it is a template literal here.
 */
export const TRACKER_SOURCE = String.raw`/* ops tracker: GET /tracker.js of ops serve. */
(function (window, document) {
  'use strict';
  try {
    start();
  } catch (e) {}

  function start() {
    var existing = window.ops;
    if (existing && existing.loaded) return;

    var MAX_BATCH = 10; // events that make the buffer flush at once
    var FLUSH_MS = 1000; // longest an event waits in the buffer
    var SESSION_MS = 30 * 60 * 1000; // inactivity that starts a new session
    var MAX_QUEUE = 500; // events kept while the endpoint is unreachable
    var MAX_ATTEMPTS = 3;
    var MAX_BODY = 16000; // characters: at most 48 KB of UTF-8, under the 64 KB keepalive and sendBeacon allow

    function safe(fn) {
      return function () {
        try {
          return fn.apply(this, arguments);
        } catch (e) {
          return undefined;
        }
      };
    }
    function clip(value, length) {
      return typeof value === 'string' && value.length > length ? value.slice(0, length) : value;
    }

    var script = document.currentScript;
    if (!script) script = document.querySelector('script[data-write-key]');
    function attr(name) {
      return script && script.getAttribute ? script.getAttribute(name) : null;
    }
    var writeKey = attr('data-write-key');
    var endpoint = attr('data-endpoint');
    if (!endpoint && script && script.src) endpoint = new URL('/api/v1/track/batch', script.src).href;
    var nav = window.navigator;
    var noop = function () {};
    if (!writeKey || !endpoint) {
      if (window.console && console.warn) console.warn('ops tracker: no data-write-key (or no endpoint) on its script tag: nothing is sent');
      window.ops = { loaded: true, track: noop, flush: noop };
      return;
    }
    // Off, with no identifier stored and no listener, for a visitor who asks not to be tracked, when the site opts in.
    if (script.hasAttribute('data-respect-dnt') && (nav.doNotTrack === '1' || window.doNotTrack === '1')) {
      window.ops = { loaded: true, track: noop, flush: noop };
      return;
    }

    // Storage that may be missing or throw (private modes, blocked cookies): memory instead.
    var memory = {};
    var local = null;
    try {
      local = window.localStorage;
      local.setItem('ops_probe', '1');
      local.removeItem('ops_probe');
    } catch (e) {
      local = null;
    }
    function read(key) {
      try {
        if (local) return local.getItem(key);
      } catch (e) {}
      return memory[key] || null;
    }
    function write(key, value) {
      memory[key] = value;
      try {
        if (local) local.setItem(key, value);
      } catch (e) {}
    }

    function uuid() {
      var c = window.crypto;
      try {
        if (c && typeof c.randomUUID === 'function') return c.randomUUID();
      } catch (e) {}
      var bytes = new Uint8Array(16);
      if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
      else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      var hex = '';
      for (var j = 0; j < 16; j++) hex += (bytes[j] + 0x100).toString(16).slice(1);
      return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
    }

    var anonymousId = read('ops_anonymous_id');
    if (!anonymousId) {
      anonymousId = uuid();
      write('ops_anonymous_id', anonymousId);
    }
    // Shared by the tabs of a site (localStorage), renewed after 30 minutes without an event.
    function sessionId() {
      var now = Date.now();
      var id = read('ops_session_id');
      var last = Number(read('ops_session_last')) || 0;
      if (!id || now - last > SESSION_MS || last > now + 60000) id = uuid();
      write('ops_session_id', id);
      write('ops_session_last', String(now));
      return id;
    }

    function event(type, properties, referrer, at) {
      var e = {
        event_id: uuid(),
        event_type: type,
        occurred_at: new Date(at || Date.now()).toISOString(),
        session_id: sessionId(),
        anonymous_id: anonymousId,
        page_url: clip(window.location.href, 2048),
        user_agent: clip(nav.userAgent, 1024),
      };
      if (referrer) e.referrer = clip(referrer, 2048);
      if (properties) e.properties = properties;
      return e;
    }

    var queue = [];
    var timer = null;
    var leaving = false;
    function schedule(ms) {
      if (!timer) timer = setTimeout(safe(function () {
        timer = null;
        flush(false);
      }), ms);
    }
    function enqueue(e) {
      queue.push({ event: e, attempts: 0 });
      if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
      if (queue.length >= MAX_BATCH) flush(false);
      else schedule(FLUSH_MS);
    }
    // Delivery is at least once: a failed request is sent again (the server keeps one event per id).
    function retry(items) {
      var again = items.filter(function (item) {
        item.attempts += 1;
        return item.attempts < MAX_ATTEMPTS;
      });
      if (!again.length) return;
      queue = again.concat(queue);
      schedule(FLUSH_MS * 5 * again[0].attempts);
    }
    function send(items, unloading) {
      var sentAt = new Date().toISOString();
      var events = items.map(function (item) {
        item.event.sent_at = sentAt;
        return JSON.stringify(item.event);
      });
      // The key rides in the body and the body is text/plain: sendBeacon sends no header, and no CORS preflight is needed.
      var body = '{"write_key":' + JSON.stringify(writeKey) + ',"events":[' + events.join(',') + ']}';
      if (unloading && typeof nav.sendBeacon === 'function') {
        try {
          if (nav.sendBeacon(endpoint, body)) return;
        } catch (e) {}
      }
      if (typeof window.fetch !== 'function') return;
      window
        .fetch(endpoint, { method: 'POST', body: body, keepalive: body.length <= MAX_BODY, credentials: 'omit', mode: 'cors' })
        .then(function (response) {
          if (response.status >= 500 || response.status === 429) retry(items);
        })
        .catch(safe(function () {
          // Once the page is leaving, the browser rejects the promise of a keepalive request it still delivers.
          if (!leaving) retry(items);
        }));
    }
    function flush(unloading) {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      if (!queue.length) return;
      var items = queue;
      queue = [];
      var batch = [];
      var size = 0;
      for (var i = 0; i < items.length; i++) {
        var length = JSON.stringify(items[i].event).length + 40;
        if (batch.length && size + length > MAX_BODY) {
          send(batch, unloading);
          batch = [];
          size = 0;
        }
        batch.push(items[i]);
        size += length;
      }
      send(batch, unloading);
    }

    // data-ops-service-type="massage" -> { service_type: 'massage' }; a number written plainly becomes a number.
    function dataProperties(element) {
      var out = {};
      for (var i = 0; i < element.attributes.length; i++) {
        var a = element.attributes[i];
        if (a.name.indexOf('data-ops-') !== 0 || a.name === 'data-ops-track' || a.name === 'data-ops-ignore') continue;
        var value = a.value;
        out[a.name.slice(9).replace(/-/g, '_')] = /^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(value) ? Number(value) : clip(value, 512);
      }
      return out;
    }

    var trackedUrl = null;
    function pageView(referrer) {
      trackedUrl = window.location.href.split('#')[0];
      var title = clip(document.title, 200);
      enqueue(event('page_view', title ? { title: title } : undefined, referrer));
    }
    // Single-page navigation: a new page view when the address (without its fragment) changed.
    var navigated = safe(function () {
      var url = window.location.href.split('#')[0];
      if (url !== trackedUrl) pageView(trackedUrl);
    });
    ['pushState', 'replaceState'].forEach(function (name) {
      var original = window.history[name];
      if (typeof original !== 'function') return;
      window.history[name] = function () {
        var result = original.apply(this, arguments);
        setTimeout(navigated, 0); // after the router has set the title
        return result;
      };
    });
    window.addEventListener('popstate', navigated);

    document.addEventListener('click', safe(function (e) {
      var element = e.target;
      while (element && element.nodeType !== 1) element = element.parentNode;
      element = element && element.closest ? element.closest('[data-ops-track]') : null;
      if (!element) return;
      var properties = dataProperties(element);
      properties.name = element.getAttribute('data-ops-track');
      properties.element = element.tagName.toLowerCase();
      var href = element.getAttribute('href');
      if (href) properties.href = clip(new URL(href, window.location.href).href, 2048);
      enqueue(event('click', properties));
    }), true);

    // Which form, never what was typed in it. getAttribute: form.id is an input when one is named "id".
    document.addEventListener('submit', safe(function (e) {
      var form = e.target;
      if (!form || form.tagName !== 'FORM' || form.hasAttribute('data-ops-ignore')) return;
      var properties = dataProperties(form);
      if (form.getAttribute('id')) properties.form_id = clip(form.getAttribute('id'), 256);
      if (form.getAttribute('name')) properties.form_name = clip(form.getAttribute('name'), 256);
      properties.form_action = clip(new URL(form.getAttribute('action') || '', window.location.href).href, 2048);
      properties.form_method = (form.getAttribute('method') || 'get').toLowerCase();
      enqueue(event('form_submit', properties));
    }), true);

    window.addEventListener('pagehide', safe(function () {
      leaving = true;
      flush(true);
    }));
    document.addEventListener('visibilitychange', safe(function () {
      if (document.visibilityState === 'hidden') flush(true);
    }));
    window.addEventListener('pageshow', safe(function (e) {
      leaving = false;
      if (e.persisted) pageView(document.referrer); // back from the back-forward cache
    }));

    function custom(name, properties, at) {
      if (typeof name !== 'string' || !name.trim()) return;
      var type = name.trim().replace(/[^A-Za-z0-9_.:-]+/g, '_');
      // A copy taken now: the page may change its object later. A circular one throws: the call is dropped.
      var copy = properties && typeof properties === 'object' && !Array.isArray(properties) ? JSON.parse(JSON.stringify(properties)) : undefined;
      enqueue(event(type, copy, undefined, at));
    }

    window.ops = {
      loaded: true,
      track: safe(function (name, properties) {
        custom(name, properties);
      }),
      flush: safe(function () {
        flush(false);
      }),
    };

    pageView(document.referrer);
    // Calls made before this script arrived, from the stub: ['track', arguments, time] (or ['track', name, properties]).
    var pending = existing && existing.q && existing.q.length ? existing.q : [];
    for (var i = 0; i < pending.length; i++) {
      try {
        var item = pending[i];
        if (item[0] !== 'track') continue;
        if (typeof item[1] === 'string') custom(item[1], item[2]);
        else custom(item[1][0], item[1][1], typeof item[2] === 'number' ? item[2] : undefined);
      } catch (e) {}
    }
  }
})(window, document);
`;
