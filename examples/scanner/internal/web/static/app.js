// qiwei scanner front end: scan (WeCom JS-SDK, camera, or typed code), sell, restock, count,
// register and import. No framework; every request is JSON with a request_id so a retried tap
// never sells twice.
(function () {
  'use strict';
  var $ = function (s) { return document.querySelector(s); };

  function toast(msg, isErr) {
    var t = $('#toast');
    if (!t) return;
    t.textContent = msg;
    t.className = 'toast show' + (isErr ? ' err' : '');
    clearTimeout(t._h);
    t._h = setTimeout(function () { t.className = 'toast'; }, 3000);
  }

  function rid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function api(method, path, body) {
    var opts = { method: method, headers: { 'Accept': 'application/json' }, credentials: 'same-origin' };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { var e = new Error(j.message || ('HTTP ' + r.status)); e.status = r.status; throw e; }
        return j;
      });
    });
  }

  // ---- scanning ----
  function openCode(text) {
    text = (text || '').trim();
    var comma = text.indexOf(',');
    if (comma > 0 && /^[A-Z_0-9]+$/.test(text.slice(0, comma))) text = text.slice(comma + 1); // "EAN_13,690…"
    try {
      var u = new URL(text);
      if (u.host === location.host && u.pathname.indexOf('/p/') === 0) { location.href = u.pathname + u.search; return; }
      var m = u.pathname.match(/\/p\/([^/]+)$/);
      if (m) { location.href = '/p/' + m[1] + u.search; return; }
      toast('不是本店标签 · not a shop label', true);
      return;
    } catch (e) { /* not a URL: a typed or barcode code */ }
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(text)) { toast('无法识别 · unreadable code', true); return; }
    location.href = '/p/' + encodeURIComponent(text.toUpperCase());
  }

  var inWeCom = /wxwork/i.test(navigator.userAgent);
  var wwReady = null;
  function registerWW() {
    if (wwReady) return wwReady;
    wwReady = api('GET', '/api/jssdk?url=' + encodeURIComponent(location.href.split('#')[0])).then(function (j) {
      if (!window.ww) throw new Error('JS-SDK not loaded');
      ww.register({
        corpId: j.corpId, agentId: j.agentId, jsApiList: ['scanQRCode'],
        getConfigSignature: function () { return { timestamp: j.config.timestamp, nonceStr: j.config.nonceStr, signature: j.config.signature }; },
        getAgentConfigSignature: j.agentConfig ? function () { return { timestamp: j.agentConfig.timestamp, nonceStr: j.agentConfig.nonceStr, signature: j.agentConfig.signature }; } : undefined
      });
      return true;
    });
    return wwReady;
  }

  var stream = null, scanning = false;
  function stopCamera() {
    scanning = false;
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
  }
  function cameraScan() {
    var dlg = $('#scanner'), video = $('#scan-video');
    if (!dlg) return;
    dlg.showModal();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { $('#scan-hint').textContent = '此浏览器无法使用相机，请输入编码 · no camera, type the code'; return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
      stream = s; video.srcObject = s; video.play(); scanning = true;
      var detector = ('BarcodeDetector' in window) ? new BarcodeDetector({ formats: ['qr_code', 'code_128', 'ean_13'] }) : null;
      var canvas = document.createElement('canvas'), ctx = canvas.getContext('2d', { willReadFrequently: true });
      (function tick() {
        if (!scanning) return;
        if (video.readyState < 2) { requestAnimationFrame(tick); return; }
        if (detector) {
          detector.detect(video).then(function (codes) {
            if (codes.length) { stopCamera(); openCode(codes[0].rawValue); } else setTimeout(tick, 120);
          }, function () { detector = null; setTimeout(tick, 120); });
          return;
        }
        if (window.jsQR) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          ctx.drawImage(video, 0, 0);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var code = jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
          if (code && code.data) { stopCamera(); openCode(code.data); return; }
        } else if (!document.querySelector('script[data-jsqr]')) {
          var sc = document.createElement('script'); sc.src = '/static/vendor/jsqr-1.4.0.js'; sc.setAttribute('data-jsqr', '1');
          document.head.appendChild(sc);
        }
        setTimeout(tick, 150);
      })();
    }, function () { $('#scan-hint').textContent = '未获得相机权限，请输入编码 · camera denied, type the code'; });
  }

  function scan() {
    if (inWeCom) {
      registerWW().then(function () {
        return ww.scanQRCode({ needResult: true, scanType: ['qrCode', 'barCode'] });
      }).then(function (res) { openCode(res.resultStr); }, function () { cameraScan(); });
      return;
    }
    cameraScan();
  }

  document.addEventListener('DOMContentLoaded', function () {
    var sb = $('#scan-btn');
    if (sb) sb.addEventListener('click', scan);
    var close = $('#scan-close');
    if (close) close.addEventListener('click', function () { stopCamera(); $('#scanner').close(); });
    var cf = $('#code-form');
    if (cf) cf.addEventListener('submit', function (e) { e.preventDefault(); stopCamera(); openCode($('#code-input').value); });

    // ---- product page ----
    var prod = document.querySelector('.product');
    if (prod) {
      var code = prod.getAttribute('data-code');
      var enc = encodeURIComponent(code);
      var setStock = function (p) {
        $('#stock').textContent = p.stock;
        $('#stock').className = 'stock' + (p.stock <= 0 ? ' out' : '');
        if (p.status) $('#status').textContent = p.status;
        if ($('#sell-btn')) $('#sell-btn').disabled = p.stock <= 0;
        refreshMoves();
      };
      var refreshMoves = function () {
        api('GET', '/api/products/' + enc + '/movements').then(function (j) {
          var tb = $('#moves tbody'); if (!tb) return;
          tb.textContent = '';
          j.movements.slice(0, 10).forEach(function (m) {
            var tr = document.createElement('tr');
            // The shop's clock (UTC+8), formatted as the server renders it: 2006-01-02 15:04.
            var at = new Date(Date.parse(m.at) + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
            [at, m.kind + (m.reason && m.reason !== m.kind ? ' ' + m.reason : ''), (m.qty > 0 ? '+' : '') + m.qty, m.balance, m.actor]
              .forEach(function (v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
            tb.appendChild(tr);
          });
        }, function () {});
      };
      var restore = $('#restore-btn');
      if (restore) restore.addEventListener('click', function () {
        restore.disabled = true;
        api('PATCH', '/api/products/' + enc, { status: '在售' }).then(function () { location.reload(); },
          function (err) { toast(err.message, true); restore.disabled = false; });
      });
      var sellReq = null;
      if ($('#sell-btn')) $('#sell-btn').addEventListener('click', function () { sellReq = rid(); $('#sell-dialog').showModal(); });
      $('#sell-form').addEventListener('submit', function (e) {
        if (e.submitter && e.submitter.value !== 'ok') return;
        e.preventDefault();
        var f = e.target, btn = $('#sell-confirm');
        btn.disabled = true;
        api('POST', '/api/products/' + enc + '/sell', { price: Number(f.price.value), note: f.note.value, request_id: sellReq })
          .then(function (j) { $('#sell-dialog').close(); setStock(j); toast('已售出 · sold, 剩余 ' + j.stock); },
                function (err) { toast(err.message, true); if (err.status === 409) { $('#sell-dialog').close(); api('GET', '/api/products/' + enc).then(setStock); } })
          .then(function () { btn.disabled = false; });
      });
      var mode = 'restock', stockReq = null;
      var openStock = function (m) {
        mode = m; stockReq = rid();
        $('#stock-title').textContent = m === 'restock' ? '入库 · Restock' : '盘点 · Count';
        $('#stock-label').textContent = m === 'restock' ? '入库数量' : '盘点后实际数量';
        var f = $('#stock-form'); f.n.value = m === 'restock' ? 1 : $('#stock').textContent; f.reason.value = '';
        f.reason.required = m === 'adjust';
        $('#stock-dialog').showModal();
      };
      if ($('#restock-btn')) $('#restock-btn').addEventListener('click', function () { openStock('restock'); });
      var adj = $('#adjust-btn');
      if (adj) adj.addEventListener('click', function () { openStock('adjust'); });
      $('#stock-form').addEventListener('submit', function (e) {
        if (e.submitter && e.submitter.value !== 'ok') return;
        e.preventDefault();
        var f = e.target, n = parseInt(f.n.value, 10);
        var body = mode === 'restock' ? { qty: n, reason: f.reason.value, request_id: stockReq } : { stock: n, reason: f.reason.value, request_id: stockReq };
        api('POST', '/api/products/' + enc + '/' + mode, body).then(function (j) {
          $('#stock-dialog').close(); setStock(j); toast('库存已更新 · stock ' + j.stock);
        }, function (err) { toast(err.message, true); });
      });
    }

    // ---- register ----
    var nf = $('#new-form');
    if (nf) {
      var newReq = rid();
      nf.addEventListener('submit', function (e) {
        e.preventDefault();
        var fd = new FormData(nf); fd.append('request_id', newReq);
        $('#new-submit').disabled = true;
        api('POST', '/api/products', fd).then(function (p) {
          newReq = rid();
          $('#new-result').hidden = false;
          var a = $('#new-link'); a.href = '/p/' + encodeURIComponent(p.code); a.textContent = p.code + ' · ' + p.name;
          $('#new-label').src = '/label/' + encodeURIComponent(p.code) + '.png';
          nf.reset(); toast('已入库 ' + p.code);
        }, function (err) { toast(err.message, true); }).then(function () { $('#new-submit').disabled = false; });
      });
    }

    // ---- import: the upload returns a job at once; its page polls the progress ----
    var imf = $('#import-form');
    if (imf) {
      imf.addEventListener('submit', function (e) {
        e.preventDefault();
        $('#import-submit').disabled = true;
        api('POST', '/api/import', new FormData(imf)).then(function (j) {
          location.href = j.url;
        }, function (err) { toast(err.message, true); $('#import-submit').disabled = false; });
      });
    }
    var job = $('#job');
    if (job) {
      var showJob = function (j) {
        $('#job-bar').max = j.total; $('#job-bar').value = j.done;
        $('#job-text').textContent = j.done + ' / ' + j.total + ' 行';
        $('#job-created').textContent = j.created; $('#job-skipped').textContent = j.skipped; $('#job-failed').textContent = j.failed;
        if (j.error) { $('#job-error').hidden = false; $('#job-error').textContent = j.error; }
        if (j.state !== 'done') return false;
        $('#job-done').hidden = false;
        var tb = $('#job-rows'); tb.textContent = '';
        (j.results || []).forEach(function (r) {
          if (!r.error) return;
          var tr = document.createElement('tr');
          [r.row, r.error].forEach(function (v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
          tb.appendChild(tr);
        });
        $('#job-errors').hidden = !tb.children.length;
        return true;
      };
      var pollJob = function () {
        api('GET', '/api/import/' + encodeURIComponent(job.dataset.job)).then(function (j) {
          if (!showJob(j) && j.state !== 'failed') setTimeout(pollJob, 1000);
        }, function () { setTimeout(pollJob, 3000); });
      };
      pollJob();
    }

    // ---- sync status (managers) ----
    var retry = $('#sync-retry');
    if (retry) {
      retry.addEventListener('click', function () {
        retry.disabled = true;
        api('POST', '/api/sync/retry', {}).then(function () { toast('已安排重试 · retrying'); setTimeout(function () { location.reload(); }, 1500); },
          function (err) { toast(err.message, true); retry.disabled = false; });
      });
    }
  });
})();
