// The planner's page: levers built from the scenario, a rerun on every
// change (the newer change stops the older run, on the server too), a
// pinned baseline shown as paired differences, "what do I need" through
// `size`, the session's history and the downloads. Plain script, no
// library, nothing fetched but this server's API.
(function () {
  'use strict';

  var token = new URLSearchParams(location.search).get('token');
  // This page's id: the server stops this page's older run when a newer
  // change arrives.
  var PAGE = 'p' + Math.random().toString(36).slice(2, 12);
  var DEBOUNCE_MS = 150;

  var state = {
    base: '',          // the scenario text the levers apply to
    loaded: '',        // the scenario as first loaded (history compares with it)
    levers: [],        // groups from /api/levers
    byKey: {},         // lever by key
    sets: {},          // key -> VALUE text (the --set form)
    baseline: null,    // { base, sets, label }
    last: null,        // the last run's answer
    history: [],
    seq: 0,
    controller: null,
    timer: null,
    changedAt: null
  };
  // Timings of the page's updates (read by the latency benchmark).
  window.iopsimTimings = [];

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function withToken(url) {
    return token ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(token) : url;
  }
  function headers(type) {
    var h = { 'Content-Type': type || 'application/json; charset=utf-8' };
    if (token) { h.Authorization = 'Bearer ' + token; }
    return h;
  }
  function say(text, kind) {
    var s = $('status');
    s.textContent = text;
    s.className = kind || '';
  }
  function post(url, body, type, signal) {
    return fetch(url, { method: 'POST', headers: headers(type), body: body, signal: signal })
      .then(function (r) {
        return r.json().then(function (j) { return { status: r.status, ok: r.ok, j: j }; });
      });
  }
  function problemsText(j) {
    return j.error + (j.problems && j.problems.length ? ': ' + j.problems.join('; ') : '');
  }

  // ---- values: a lever's value as shown, and as its --set text --------
  function setText(lever, v) {
    if (lever.kind === 'days' || lever.kind === 'time') { return JSON.stringify(v); }
    return String(v);
  }
  function currentValue(lever) {
    return Object.prototype.hasOwnProperty.call(state.sets, lever.key)
      ? JSON.parse(state.sets[lever.key]) : lever.value;
  }
  function shown(lever, v) {
    if (lever.kind === 'share') { return round(v * 100, 6) + '%'; }
    if (lever.kind === 'days') { return v.join(', '); }
    return String(v);
  }
  function round(x, d) { var k = Math.pow(10, d); return Math.round(x * k) / k; }

  function setLever(lever, v) {
    var text = setText(lever, v);
    if (text === setText(lever, lever.value)) {
      delete state.sets[lever.key];
    } else {
      state.sets[lever.key] = text;
    }
    markChanged(lever);
    $('reset').disabled = Object.keys(state.sets).length === 0;
  }
  function markChanged(lever) {
    var box = document.querySelector('[data-key="' + CSS.escape(lever.key) + '"]');
    if (box) { box.classList.toggle('changed', Object.prototype.hasOwnProperty.call(state.sets, lever.key)); }
  }

  // ---- the levers -----------------------------------------------------
  var DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var DAY_NAMES = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

  function idFor(key) { return 'lever-' + key.replace(/[^A-Za-z0-9_-]/g, '_'); }

  function numberControl(lever) {
    var box = el('div', { 'class': 'lever', 'data-key': lever.key });
    var id = idFor(lever.key);
    var share = lever.kind === 'share';
    var label = el('label', { 'for': id }, lever.label + (share && lever.label.indexOf('(%)') < 0 ? ' (%)' : ''));
    var input = el('input', {
      id: id, type: 'number', inputmode: 'decimal',
      min: String(share ? lever.min * 100 : lever.min),
      max: String(share ? lever.max * 100 : lever.max),
      step: String(share ? 1 : lever.step),
      'data-key': lever.key
    });
    var v = currentValue(lever);
    input.value = share ? round(v * 100, 6) : v;
    function read() {
      // Any number in range: a value between the arrows' steps is fine.
      if (input.value === '' || input.validity.badInput) { return null; }
      var x = Number(input.value);
      if (!isFinite(x) || x < Number(input.min) || x > Number(input.max)) { return null; }
      if (lever.kind === 'int') { x = Math.round(x); }
      return share ? round(x / 100, 8) : x;
    }
    input.addEventListener('input', function () {
      var x = read();
      if (x === null) { return; }
      setLever(lever, x);
      changed(DEBOUNCE_MS);
    });
    input.addEventListener('change', function () {
      var x = read();
      if (x === null) { say(lever.label + ': enter a number from ' + input.min + ' to ' + input.max, 'error'); return; }
      setLever(lever, x);
      changed(0);
    });
    box.appendChild(label);
    box.appendChild(input);
    return box;
  }

  function timeControl(lever) {
    var box = el('div', { 'class': 'lever', 'data-key': lever.key });
    var id = idFor(lever.key);
    box.appendChild(el('label', { 'for': id }, lever.label));
    var input = el('input', { id: id, type: 'time', step: '300', 'data-key': lever.key });
    input.value = currentValue(lever);
    input.addEventListener('change', function () {
      if (!input.value) { return; }
      setLever(lever, input.value.slice(0, 5));
      changed(0);
    });
    box.appendChild(input);
    return box;
  }

  function daysControl(lever) {
    var set = el('fieldset', { 'class': 'days', 'data-key': lever.key });
    set.appendChild(el('legend', null, lever.label));
    var v = currentValue(lever);
    DAYS.forEach(function (d) {
      var id = idFor(lever.key) + '-' + d;
      var label = el('label', { 'for': id });
      var box = el('input', { id: id, type: 'checkbox', value: d });
      box.checked = v.indexOf(d) >= 0;
      box.addEventListener('change', function () {
        var days = DAYS.filter(function (x) {
          return document.getElementById(idFor(lever.key) + '-' + x).checked;
        });
        setLever(lever, days);
        changed(0);
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(' ' + DAY_NAMES[d]));
      set.appendChild(label);
    });
    return set;
  }

  function drawLevers() {
    var form = $('levers');
    form.textContent = '';
    state.byKey = {};
    state.levers.forEach(function (g) {
      var fs = el('fieldset');
      fs.appendChild(el('legend', null, g.title));
      g.levers.forEach(function (lever) {
        state.byKey[lever.key] = lever;
        var c = lever.kind === 'days' ? daysControl(lever)
          : lever.kind === 'time' ? timeControl(lever) : numberControl(lever);
        fs.appendChild(c);
      });
      form.appendChild(fs);
    });
    Object.keys(state.byKey).forEach(function (k) { markChanged(state.byKey[k]); });
    $('reset').disabled = Object.keys(state.sets).length === 0;
    fillNeedLevers();
  }

  function loadLevers(text) {
    return post(withToken('/api/levers'), text, 'text/plain; charset=utf-8').then(function (res) {
      if (!res.ok) { throw new Error(problemsText(res.j)); }
      state.levers = res.j.groups;
      $('scenario-name').textContent = res.j.name + ' \u2014 ' + res.j.description;
      drawLevers();
      return res.j;
    });
  }

  // ---- runs -------------------------------------------------------------
  function setList(sets) {
    var list = Object.keys(sets).map(function (k) { return k + '=' + sets[k]; });
    list.push('simulation.trials=' + trials());
    return list;
  }
  function trials() {
    var t = Math.round(Number($('trials').value));
    return isFinite(t) && t >= 10 ? Math.min(t, 20000) : 1000;
  }

  function changed(delay) {
    state.changedAt = performance.now();
    clearTimeout(state.timer);
    state.timer = setTimeout(run, delay);
  }

  function run() {
    if (state.controller) { state.controller.abort(); }
    var controller = new AbortController();
    state.controller = controller;
    var seq = ++state.seq;
    var changedAt = state.changedAt || performance.now();
    var sentAt = performance.now();
    var body = { scenario: state.base, set: setList(state.sets) };
    if (state.baseline) {
      body.baseline = { scenario: state.baseline.base, set: setList(state.baseline.sets) };
    }
    say('Running ' + trials() + ' trials…', 'busy');
    post(withToken('/api/run?page=' + PAGE), JSON.stringify(body), null, controller.signal)
      .then(function (res) {
        if (seq !== state.seq) { return; }
        if (res.status === 409 && res.j.superseded) { return; }
        if (!res.ok) {
          say('This change cannot run: ' + problemsText(res.j), 'error');
          return;
        }
        var received = performance.now();
        show(res.j);
        var done = performance.now();
        window.iopsimTimings.push({
          seq: seq,
          total_ms: done - changedAt,
          wait_ms: sentAt - changedAt,
          server_ms: res.j.seconds_total * 1000,
          network_ms: received - sentAt - res.j.seconds_total * 1000,
          draw_ms: done - received
        });
        say(res.j.trials + ' trials \u00d7 ' + res.j.weeks + ' weeks in ' + res.j.seconds.toFixed(2) +
          ' s; the page updated ' + ((done - changedAt) / 1000).toFixed(2) + ' s after the change', '');
        document.body.setAttribute('data-run', String(seq));
      })
      .catch(function (e) {
        if (e.name !== 'AbortError' && seq === state.seq) { say('The run failed: ' + e.message, 'error'); }
      });
  }

  // ---- showing a run ------------------------------------------------------
  function show(j) {
    state.last = j;
    var paired = {};
    if (j.paired) { j.paired.rows.forEach(function (r) { paired[r.metric] = r; }); }
    var withDiff = !!j.paired;
    document.querySelectorAll('.diff-col').forEach(function (c) { c.hidden = !withDiff; });
    var body = document.querySelector('#figures tbody');
    body.textContent = '';
    var subject = null;
    j.figures.forEach(function (f) {
      if (f.subject !== subject) {
        subject = f.subject;
        var head = el('tr', { 'class': 'subject' });
        head.appendChild(el('td', { colspan: withDiff ? '4' : '3' }, subject || 'Program'));
        body.appendChild(head);
      }
      var tr = el('tr', { 'data-metric': f.metric });
      tr.appendChild(el('td', null, f.what + unitOf(f.label)));
      tr.appendChild(el('td', { 'class': 'median' }, f.text));
      tr.appendChild(el('td', null, f.range));
      if (withDiff) {
        var p = paired[f.metric];
        var td = el('td', { 'class': 'diff ' + (p ? p.verdict : 'unclear') });
        if (p) {
          td.textContent = p.text;
          td.title = p.says;
          td.appendChild(el('span', { 'class': 'sr' }, ' (' + p.says + ')'));
        }
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    var note = $('baseline-note');
    if (state.baseline) {
      note.textContent = 'Baseline: ' + state.baseline.label +
        (j.paired_note ? '. ' + j.paired_note : '. Green is better, red worse, grey no clear difference (95% interval holds 0).');
    }

    var att = $('attention');
    att.textContent = '';
    if (j.attention.length === 0) {
      att.appendChild(el('li', { 'class': 'none' }, 'Nothing: no waitlist growing, no track over capacity, no staff shortfall flagged.'));
    }
    j.attention.forEach(function (w) { att.appendChild(el('li', null, w)); });

    var charts = $('charts');
    charts.textContent = '';
    j.charts.forEach(function (c) {
      var fig = el('figure', { id: 'chart-' + c.stem });
      var holder = el('div');
      holder.innerHTML = c.svg; // drawn by this server from the run report's code
      fig.appendChild(holder);
      fig.appendChild(el('figcaption', null, c.about));
      charts.appendChild(fig);
    });

    var dl = $('downloads');
    dl.textContent = '';
    var files = [['scenario.toml', j.scenario + '.toml', 'Scenario with your changes (TOML)'],
      ['report.html', j.scenario + '-report.html', 'Run report (HTML)'],
      ['summary.csv', 'summary.csv', 'summary.csv'],
      ['weekly.csv', 'weekly.csv', 'weekly.csv'],
      ['trials.csv', 'trials.csv', 'trials.csv']];
    files.forEach(function (f) {
      var li = el('li');
      var a = el('a', { href: withToken('/api/results/' + j.id + '/' + f[0]), download: f[1], 'data-file': f[0] }, f[2]);
      li.appendChild(a);
      dl.appendChild(li);
    });

    remember(j);
    fillNeedMetrics(j);
  }

  function unitOf(label) {
    var m = /\(([^)]*)\)$/.exec(label);
    return m ? ' (' + m[1] + ')' : '';
  }

  // ---- the baseline -------------------------------------------------------
  function pin() {
    var n = Object.keys(state.sets).length;
    state.baseline = {
      base: state.base,
      sets: JSON.parse(JSON.stringify(state.sets)),
      label: 'run #' + state.history.length + (n ? ' (' + n + ' change' + (n > 1 ? 's' : '') + ' from the scenario)' : ' (the scenario as loaded)')
    };
    $('pin').textContent = 'Pin this instead';
    $('unpin').hidden = false;
    document.querySelector('.baseline').classList.add('pinned');
    changed(0);
  }
  function unpin() {
    state.baseline = null;
    $('pin').textContent = 'Pin as baseline';
    $('unpin').hidden = true;
    document.querySelector('.baseline').classList.remove('pinned');
    $('baseline-note').textContent = 'No baseline pinned: pin one to see every figure as a paired difference from it.';
    changed(0);
  }

  // ---- history --------------------------------------------------------------
  function describe(base, sets) {
    var parts = [];
    if (base !== state.loaded) { parts.push('scenario text edited'); }
    Object.keys(sets).forEach(function (k) {
      var lever = state.byKey[k];
      var v = JSON.parse(sets[k]);
      parts.push(lever ? lever.label + ': ' + shown(lever, lever.value) + ' \u2192 ' + shown(lever, v) : k + ' = ' + sets[k]);
    });
    return parts.length ? parts.join('; ') : 'none (the scenario as loaded)';
  }
  function remember(j) {
    var entry = {
      base: state.base,
      sets: JSON.parse(JSON.stringify(state.sets)),
      trials: j.trials,
      changes: describe(state.base, state.sets),
      headline: j.figures.slice(0, 3).map(function (f) { return f.label + ' ' + f.text; }).join('; ')
    };
    var prev = state.history[state.history.length - 1];
    if (prev && prev.base === entry.base && JSON.stringify(prev.sets) === JSON.stringify(entry.sets) && prev.trials === entry.trials) {
      state.history[state.history.length - 1] = entry;
    } else {
      state.history.push(entry);
      if (state.history.length > 100) { state.history.shift(); }
    }
    drawHistory();
  }
  function drawHistory() {
    var body = document.querySelector('#history tbody');
    body.textContent = '';
    for (var i = state.history.length - 1; i >= 0; i--) {
      (function (i) {
        var h = state.history[i];
        var tr = el('tr', i === state.history.length - 1 ? { 'class': 'current' } : null);
        tr.appendChild(el('td', null, String(i + 1)));
        tr.appendChild(el('td', null, h.changes + (h.trials !== 1000 ? ' (' + h.trials + ' trials)' : '')));
        tr.appendChild(el('td', null, h.headline));
        var td = el('td');
        if (i !== state.history.length - 1) {
          var b = el('button', { type: 'button', 'aria-label': 'Restore run ' + (i + 1) }, 'Restore');
          b.addEventListener('click', function () { restore(h); });
          td.appendChild(b);
        } else {
          td.textContent = 'shown';
        }
        tr.appendChild(td);
        body.appendChild(tr);
      }(i));
    }
  }
  function restore(h) {
    var again = h.base !== state.base;
    state.base = h.base;
    state.sets = JSON.parse(JSON.stringify(h.sets));
    $('trials').value = h.trials;
    var ready = again ? loadLevers(state.base) : Promise.resolve(drawLevers());
    ready.then(function () { changed(0); }).catch(function (e) { say(e.message, 'error'); });
  }

  // ---- what do I need ---------------------------------------------------------
  function fillNeedLevers() {
    var sel = $('need-lever');
    var keep = sel.value;
    sel.textContent = '';
    var first = null;
    state.levers.forEach(function (g) {
      var og = el('optgroup', { label: g.title });
      g.levers.forEach(function (l) {
        if (l.kind !== 'int' && l.kind !== 'number') { return; }
        og.appendChild(el('option', { value: l.key }, l.label));
        if (/\.groups$/.test(l.key)) { first = l.key; }
      });
      if (og.children.length) { sel.appendChild(og); }
    });
    sel.value = keep && state.byKey[keep] ? keep : (first || (sel.options[0] && sel.options[0].value));
    needRange();
  }
  function needRange() {
    var l = state.byKey[$('need-lever').value];
    if (!l) { return; }
    var v = currentValue(l);
    var step = l.kind === 'int' ? 1 : (l.step >= 1 ? l.step : 0.5);
    $('need-from').value = l.kind === 'int' ? Math.max(l.min, 1) : Math.max(l.min, round(v / 2, 2));
    $('need-to').value = l.kind === 'int' ? Math.min(l.max, v + 5) : round(v * 2 + step, 2);
    $('need-step').value = step;
  }
  function fillNeedMetrics(j) {
    var sel = $('need-metric');
    if (sel.options.length) { return; }
    var best = null;
    j.figures.forEach(function (f) {
      sel.appendChild(el('option', { value: f.metric }, f.label));
      if (/\.wait_days_p90$/.test(f.metric)) { best = f.metric; }
    });
    if (best) { sel.value = best; }
  }
  function need(e) {
    e.preventDefault();
    var key = $('need-lever').value;
    var from = Number($('need-from').value), to = Number($('need-to').value), step = Number($('need-step').value);
    var out = $('need-answer');
    out.textContent = '';
    if (!(step > 0) || !(to >= from) || (to - from) / step > 199) {
      out.appendChild(el('p', { 'class': 'error' }, 'Give a range from \u2264 to, and a step that makes at most 200 values.'));
      return;
    }
    var values = [];
    for (var x = from; x <= to + 1e-9; x += step) { values.push(round(x, 6)); }
    var target = $('need-metric').value + ' ' + $('need-stat').value + ' ' + $('need-op').value + ' ' + Number($('need-value').value);
    var sets = Object.assign({}, state.sets);
    delete sets[key];
    var body = { scenario: state.base, set: setList(sets), key: key, values: values, target: target };
    out.appendChild(el('p', null, 'Searching ' + values.length + ' values of ' + (state.byKey[key] || { label: key }).label + '…'));
    $('need-run').disabled = true;
    post(withToken('/api/size?page=' + PAGE + '-size'), JSON.stringify(body)).then(function (res) {
      $('need-run').disabled = false;
      out.textContent = '';
      if (!res.ok) {
        if (!(res.status === 409 && res.j.superseded)) { out.appendChild(el('p', { 'class': 'error' }, problemsText(res.j))); }
        return;
      }
      var j = res.j;
      out.appendChild(el('p', { 'class': 'sentence', id: 'need-sentence' }, j.sentence));
      if (j.not_monotone) {
        out.appendChild(el('p', null, 'The value above it fails again: the target does not get steadily easier here, so the answer may not be the smallest.'));
      }
      var t = el('table');
      var head = el('tr');
      ['Value', 'Meets it?', 'Estimate', 'Why not'].forEach(function (h) { head.appendChild(el('th', { scope: 'col' }, h)); });
      t.appendChild(head);
      j.tried.forEach(function (tr) {
        var row = el('tr');
        row.appendChild(el('td', null, tr.shown));
        row.appendChild(el('td', { 'class': tr.pass ? 'pass' : 'fail' }, tr.pass ? 'yes' : 'no'));
        row.appendChild(el('td', null, tr.estimate === null ? '\u2013' : String(round(tr.estimate, 2))));
        row.appendChild(el('td', null, tr.why_not.join('; ')));
        t.appendChild(row);
      });
      out.appendChild(t);
      out.appendChild(el('p', { 'class': 'hint' }, j.trials + ' trials per value, on the same random inputs; ' + j.tried.length + ' values run in ' + j.seconds.toFixed(1) + ' s.'));
      var links = el('p');
      if (j.answer !== null) {
        var apply = el('button', { type: 'button', id: 'need-apply' }, 'Use ' + j.answer + ' and rerun');
        apply.addEventListener('click', function () {
          var l = state.byKey[j.key];
          if (!l) { return; }
          setLever(l, Number(j.answer));
          drawLevers();
          changed(0);
        });
        links.appendChild(apply);
        links.appendChild(document.createTextNode(' '));
      }
      links.appendChild(el('a', { href: withToken('/api/results/' + j.id + '/report.html'), download: 'size-report.html' }, 'The search\u2019s report (HTML)'));
      out.appendChild(links);
    }).catch(function (err) {
      $('need-run').disabled = false;
      out.textContent = 'The search failed: ' + err.message;
    });
  }

  // ---- everything: the scenario text ---------------------------------------
  var checkTimer = null;
  function showView(text) {
    $('view-levers').setAttribute('aria-pressed', String(!text));
    $('view-text').setAttribute('aria-pressed', String(text));
    $('levers-view').hidden = text;
    $('text-view').hidden = !text;
    if (text) {
      $('scenario-text').value = state.last ? state.last.toml : state.base;
      $('text-problems').textContent = '';
      $('scenario-text').focus();
    }
  }
  function textEdited() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(function () {
      var text = $('scenario-text').value;
      post(withToken('/api/check'), text, 'text/plain; charset=utf-8').then(function (res) {
        var box = $('text-problems');
        box.textContent = '';
        if (res.ok) {
          box.appendChild(el('p', { 'class': 'ok' }, 'No problems: the levers and the figures follow this text.'));
          state.base = text;
          state.sets = {};
          loadLevers(text).then(function () { changed(0); });
          return;
        }
        box.appendChild(el('p', null, res.j.error + ':'));
        var ul = el('ul');
        (res.j.problems || []).forEach(function (p) {
          var li = el('li', null, p);
          var m = /line (\d+)/.exec(p);
          if (m) {
            var b = el('button', { type: 'button' }, 'go to line ' + m[1]);
            b.addEventListener('click', function () { goToLine(Number(m[1])); });
            li.appendChild(b);
          }
          ul.appendChild(li);
        });
        box.appendChild(ul);
      });
    }, 300);
  }
  function goToLine(n) {
    var ta = $('scenario-text');
    var lines = ta.value.split('\n');
    var start = 0;
    for (var i = 0; i < n - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    ta.focus();
    ta.setSelectionRange(start, start + (lines[n - 1] || '').length);
  }

  // ---- start -----------------------------------------------------------------
  function start() {
    $('trials').addEventListener('change', function () { changed(0); });
    $('pin').addEventListener('click', pin);
    $('unpin').addEventListener('click', unpin);
    $('reset').addEventListener('click', function () { state.sets = {}; drawLevers(); changed(0); });
    $('view-levers').addEventListener('click', function () { showView(false); });
    $('view-text').addEventListener('click', function () { showView(true); });
    $('scenario-text').addEventListener('input', textEdited);
    $('need-form').addEventListener('submit', need);
    $('need-lever').addEventListener('change', needRange);
    fetch(withToken('/api/scenario'), { headers: headers() })
      .then(function (r) {
        if (!r.ok) { return r.json().then(function (j) { throw new Error(j.error); }); }
        return r.text();
      })
      .then(function (text) {
        state.base = text;
        state.loaded = text;
        return loadLevers(text);
      })
      .then(function (info) {
        $('trials').value = Math.min(info.trials, 1000);
        changed(0);
      })
      .catch(function (e) { say('Could not load the scenario: ' + e.message, 'error'); });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
