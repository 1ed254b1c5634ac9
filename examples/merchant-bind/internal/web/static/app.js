// merchant-bind admin UI: the binding-code dialog (生成绑定码), copy link, demo scans, confirmations.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name=csrf-token]') || {}).content || '';
  var dlg = document.getElementById('bind-dialog');
  var $ = function (id) { return document.getElementById(id); };
  var current = null; // merchant id shown in the dialog
  var changed = false;

  function request(method, url, form) {
    var opts = { method: method, headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf }, credentials: 'same-origin' };
    if (form instanceof URLSearchParams) {
      opts.body = form;
    } else if (form) {
      opts.body = new URLSearchParams(new FormData(form));
    }
    return fetch(url, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        return { status: res.status, body: body };
      });
    });
  }

  function show(state, msg) {
    $('bd-loading').classList.toggle('hidden', state !== 'loading');
    $('bd-body').classList.toggle('hidden', state !== 'ready');
    $('bd-error').classList.toggle('hidden', state !== 'error');
    if (state === 'error') { $('bd-error').textContent = msg; }
  }

  function fill(c) {
    $('bd-img').src = c.image;
    $('bd-download').href = c.download;
    $('bd-link').value = c.showqrcode;
    $('bd-open').href = c.showqrcode;
    $('bd-expires').textContent = c.expires_at;
    $('bd-scene').textContent = 'scene: ' + c.scene;
    var reply = $('bd-reply');
    if (reply) { reply.classList.add('hidden'); }
    show('ready');
  }

  function failed(r) {
    var b = r.body || {};
    var msg = b.message || ('HTTP ' + r.status);
    if (b.errcode) { msg += ' (errcode ' + b.errcode + ')'; }
    show('error', msg);
  }

  // issue creates a code; replace confirms that the valid one shown is replaced (the server
  // refuses with 409 code_exists otherwise).
  function issue(replace) {
    show('loading');
    var body = replace ? new URLSearchParams({ replace: '1' }) : null;
    return request('POST', '/merchants/' + current + '/code', body).then(function (r) {
      if (r.status === 201) { changed = changed || replace; fill(r.body); } else { failed(r); }
    }, function () { show('error', '网络错误 Network error'); });
  }

  function regenerate() {
    var b = $('bd-regen');
    if (!window.confirm(b.getAttribute('data-confirm-text'))) { return; }
    issue(true);
  }

  // open shows the merchant's current code, creating one when there is none. In the demo, the
  // WeChat user whose nickname is the merchant's contact is preselected.
  function open(id, name, contact) {
    current = id;
    $('bd-merchant').textContent = name;
    var sel = document.querySelector('#bd-demo select');
    if (sel && contact) {
      for (var i = 0; i < sel.options.length; i++) {
        if (sel.options[i].text === contact) { sel.selectedIndex = i; }
      }
    }
    show('loading');
    if (!dlg.open) { dlg.showModal(); }
    request('GET', '/merchants/' + id + '/code').then(function (r) {
      if (r.status === 200) { fill(r.body); } else if (r.status === 404) { issue(false); } else { failed(r); }
    }, function () { show('error', '网络错误 Network error'); });
  }

  function copy() {
    var input = $('bd-link');
    var done = function () { $('bd-copy').textContent = '已复制 Copied'; setTimeout(function () { $('bd-copy').textContent = '复制链接 Copy link'; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      return;
    }
    input.select();
    try { if (document.execCommand('copy')) { done(); } } catch (e) { /* the text stays selected */ }
  }

  document.addEventListener('click', function (e) {
    var b = e.target.closest('[data-bind]');
    if (b && dlg) { open(b.getAttribute('data-bind'), b.getAttribute('data-name'), b.getAttribute('data-contact')); return; }
    if (e.target.closest('[data-close]') && dlg) { dlg.close(); }
  });

  document.addEventListener('submit', function (e) {
    var form = e.target;
    var msg = form.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    // A form sent once: a second click does nothing (the server dedupes it anyway).
    if (form.hasAttribute('data-once')) {
      if (form.getAttribute('data-sent')) { e.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
      var btn = form.querySelector('button[type=submit]');
      if (btn) { btn.disabled = true; btn.textContent = '发送中… Sending…'; }
    }
  });

  // The result of a send is shown inside the card the admin used; bring it into view.
  var result = document.querySelector('#notify .flash, #notifications .flash');
  if (result) { result.closest('section').scrollIntoView({ block: 'start' }); }

  if (!dlg) { return; }
  $('bd-copy').addEventListener('click', copy);
  $('bd-regen').addEventListener('click', regenerate);
  dlg.addEventListener('close', function () { if (changed) { location.reload(); } });
  var demo = $('bd-demo');
  if (demo) {
    demo.addEventListener('submit', function (e) {
      e.preventDefault();
      var reply = $('bd-reply');
      var btn = demo.querySelector('button');
      btn.disabled = true;
      request('POST', '/demo/merchants/' + current + '/scan', demo).then(function (r) {
        btn.disabled = false;
        reply.classList.remove('hidden');
        reply.classList.toggle('err', r.status !== 200);
        reply.textContent = r.status === 200 ? (r.body.user + ' 收到回复 got: ' + r.body.reply) : ((r.body && r.body.message) || ('HTTP ' + r.status));
        reply.scrollIntoView({ block: 'nearest' });
        changed = true;
      }, function () { btn.disabled = false; });
    });
  }
})();
