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

  // api sends a JSON (or multipart) request. A session that expired while the page was open (401)
  // is renewed without leaving the page (the login runs in a hidden frame) and the request sent
  // again with the same request_id; when that is not possible (the login needs the whole window),
  // a JSON change is kept in sessionStorage, the page reloads through the login and sends it then.
  function api(method, path, body, retried) {
    var opts = { method: method, headers: { 'Accept': 'application/json' }, credentials: 'same-origin' };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401 && !retried) {
        return relogin().then(function () { return api(method, path, body, true); }, function () {
          if (!(body instanceof FormData)) {
            try { sessionStorage.setItem('qiwei.pending', JSON.stringify({ method: method, path: path, body: body, page: location.pathname })); } catch (e) { /* private mode */ }
          }
          location.reload();
          return new Promise(function () {}); // the page is going away
        });
      }
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var e = new Error(j.message || (r.status === 413 ? '照片太大（最大 20 MB）' : '请求失败 (' + r.status + ')'));
          e.status = r.status; e.code = j.error; e.confirm = j.confirm; throw e;
        }
        return j;
      });
    });
  }

  var relogging = null;
  function relogin() {
    if (relogging) return relogging;
    relogging = new Promise(function (resolve, reject) {
      var f = document.createElement('iframe'), done = false;
      f.style.display = 'none';
      f.setAttribute('aria-hidden', 'true');
      var finish = function (ok) {
        if (done) return;
        done = true; clearTimeout(timer); f.remove(); relogging = null;
        if (ok) resolve(); else reject(new Error('login'));
      };
      var timer = setTimeout(function () { finish(false); }, 10000);
      f.onload = function () {
        fetch('/api/me', { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
          .then(function (r) { finish(r.ok); }, function () { finish(false); });
      };
      f.src = '/?relogin=' + Date.now();
      document.body.appendChild(f);
    });
    return relogging;
  }

  // replayPending sends the change kept before a login that needed the whole window.
  function replayPending() {
    var raw = null;
    try { raw = sessionStorage.getItem('qiwei.pending'); sessionStorage.removeItem('qiwei.pending'); } catch (e) { return; }
    if (!raw) return;
    var p = JSON.parse(raw);
    if (p.page !== location.pathname) return;
    api(p.method, p.path, p.body, true).then(function () { toast('已重新登录并完成操作 · done after signing in again'); setTimeout(function () { location.reload(); }, 800); },
      function (err) { toast(err.message, true); });
  }

  // tooBig reports (and says) when a chosen photo is over the 20 MB limit.
  var maxPhoto = 20 << 20;
  function tooBig(input) {
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxPhoto) { toast('照片太大：' + files[i].name + '（最大 20 MB）· photo too large', true); return true; }
    }
    return false;
  }

  // rmb formats yuan as the pages do: ¥1,299.00, a return -¥2,980.00.
  function rmb(y) {
    var n = Number(y) || 0, sign = n < 0 ? '-\u2060' : ''; // a word joiner: the sign stays on the amount's line
    var p = Math.abs(n).toFixed(2).split('.');
    return sign + '¥' + p[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + p[1];
  }
  function cell(tr, v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); return td; }

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
    location.href = '/p/' + encodeURIComponent(text.toUpperCase()) + '?via=search'; // recorded as a scan (输入编码)
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

  // Back to a page kept in the browser's back-forward cache (after a sale on another page): reload,
  // so the stock shown is the current one.
  window.addEventListener('pageshow', function (e) { if (e.persisted) location.reload(); });

  document.addEventListener('DOMContentLoaded', function () {
    var sb = $('#scan-btn');
    if (sb) sb.addEventListener('click', scan);
    var close = $('#scan-close');
    if (close) close.addEventListener('click', function () { stopCamera(); $('#scanner').close(); });
    var cf = $('#code-form');
    if (cf) cf.addEventListener('submit', function (e) { e.preventDefault(); stopCamera(); openCode($('#code-input').value); });

    replayPending();

    // ---- product page ----
    var prod = document.querySelector('.product');
    if (prod) {
      var code = prod.getAttribute('data-code');
      var enc = encodeURIComponent(code);
      // setStock shows what the server answered: stock, status (a restocked sold-out bag is 在售
      // again), whether it can be sold, the off-sale note; then the ledger and sales.
      var setStock = function (p) {
        $('#stock').textContent = p.stock;
        $('#stock').className = 'stock' + (p.stock <= 0 ? ' out' : '');
        if (p.status) $('#status').textContent = p.status;
        var off = p.status === '下架';
        if ($('#sell-btn')) $('#sell-btn').disabled = p.stock <= 0 || off;
        var note = $('#inactive-note');
        if (note) {
          note.hidden = !off;
          if (off && p.product) note.textContent = '已下架 · off sale' + (p.product.inactive_reason ? '：' + p.product.inactive_reason : '');
        }
        refreshMoves(); refreshSales();
      };
      var refreshMoves = function () {
        api('GET', '/api/products/' + enc + '/movements').then(function (j) {
          var tb = $('#moves tbody'); if (!tb) return;
          tb.textContent = '';
          j.movements.slice(0, 10).forEach(function (m) {
            var tr = document.createElement('tr');
            [m.at_local, m.kind + (m.reason && m.reason !== m.kind ? ' ' + m.reason : ''), (m.qty > 0 ? '+' : '') + m.qty, m.balance, m.actor_name]
              .forEach(function (v) { cell(tr, v); });
            tb.appendChild(tr);
          });
        }, function () {});
      };
      var refreshSales = function () {
        api('GET', '/api/products/' + enc + '/sales').then(function (j) {
          var tb = $('#sales tbody'); if (!tb) return;
          tb.textContent = '';
          if (!j.sales.length) { var tr0 = document.createElement('tr'); cell(tr0, '暂无销售').colSpan = 5; tb.appendChild(tr0); return; }
          j.sales.slice(0, 10).forEach(function (x) {
            var tr = document.createElement('tr');
            tr.setAttribute('data-sale', x.id);
            cell(tr, x.at_local);
            cell(tr, x.kind + (x.reversed ? '（已退）' : '') + (x.customer ? ' · ' + x.customer : '') + (x.reason ? ' · ' + x.reason : ''));
            cell(tr, rmb(x.price)); cell(tr, x.actor_name);
            var td = cell(tr, '');
            if (x.returnable) {
              ['退货', '撤销'].forEach(function (k) {
                var b = document.createElement('button'); b.type = 'button'; b.className = 'small return-btn';
                b.setAttribute('data-kind', k); b.textContent = k; td.appendChild(b);
              });
            }
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

      // Sell: the price may need confirming (422 confirm_price: far above the list price, or below
      // the floor for a manager); a hard maximum (price_limit) is only explained.
      var sellReq = null;
      var custLoaded = false;
      var loadCustomers = function () {
        if (custLoaded) return;
        custLoaded = true;
        api('GET', '/api/customers?limit=500').then(function (j) {
          var sel = $('#sell-customer'), nw = sel.querySelector('option[value=new]');
          j.customers.forEach(function (c) {
            var o = document.createElement('option'); o.value = c.id; o.textContent = c.name + (c.phone ? ' · ' + c.phone : '');
            sel.insertBefore(o, nw);
          });
        }, function () { custLoaded = false; });
      };
      if ($('#sell-btn')) $('#sell-btn').addEventListener('click', function () {
        sellReq = rid(); loadCustomers();
        $('#sell-warn').hidden = true; $('#sell-confirm').textContent = '确认出售';
        $('#sell-form').removeAttribute('data-confirm');
        $('#sell-dialog').showModal();
      });
      var sc = $('#sell-customer');
      if (sc) sc.addEventListener('change', function () { $('#sell-newcust').hidden = sc.value !== 'new'; });
      var sellForm = $('#sell-form');
      if (sellForm) sellForm.addEventListener('submit', function (e) {
        if (e.submitter && e.submitter.value !== 'ok') return;
        e.preventDefault();
        var f = e.target, btn = $('#sell-confirm');
        var confirmed = f.getAttribute('data-confirm') === f.price.value;
        btn.disabled = true;
        var customer = Promise.resolve(Number(f.customer.value) || 0);
        if (f.customer.value === 'new') {
          if (!f.cname.value.trim()) { toast('请填写客户姓名', true); btn.disabled = false; return; }
          customer = api('POST', '/api/customers', { name: f.cname.value.trim(), phone: f.cphone.value.trim() }).then(function (c) {
            var o = document.createElement('option'); o.value = c.id; o.textContent = c.name;
            f.customer.insertBefore(o, f.customer.querySelector('option[value=new]'));
            f.customer.value = String(c.id); $('#sell-newcust').hidden = true;
            return c.id;
          });
        }
        customer.then(function (cid) {
          return api('POST', '/api/products/' + enc + '/sell', { price: Number(f.price.value), note: f.note.value, customer_id: cid,
            confirm: confirmed, request_id: sellReq });
        }).then(function (j) { $('#sell-dialog').close(); setStock(j); toast('已售出 · sold, 剩余 ' + j.stock); },
          function (err) {
            if (err.confirm) { // confirm_price, or below_floor for a manager
              var w = $('#sell-warn'); w.hidden = false; w.textContent = err.message + ' · 请核对后再次点击确认';
              f.setAttribute('data-confirm', f.price.value); btn.textContent = '仍然出售 ' + rmb(f.price.value) + ' · confirm';
              return;
            }
            if (err.status === 422) { // price_limit, below_floor for staff
              var w2 = $('#sell-warn'); w2.hidden = false; w2.textContent = err.message;
              return;
            }
            toast(err.message, true);
            if (err.status === 409) { $('#sell-dialog').close(); api('GET', '/api/products/' + enc).then(setStock); }
          })
          .then(function () { btn.disabled = false; });
      });

      // 下架 / 上架 and 退货 / 撤销 ask for a reason in one dialog.
      var reasonAction = null;
      var askReason = function (title, hint, action) {
        reasonAction = action;
        $('#reason-title').textContent = title; $('#reason-hint').textContent = hint;
        var f = $('#reason-form'); f.reason.value = ''; f.reason.required = true;
        $('#reason-dialog').showModal();
      };
      var rf = $('#reason-form');
      if (rf) rf.addEventListener('submit', function (e) {
        if (e.submitter && e.submitter.value !== 'ok') return;
        e.preventDefault();
        var btn = $('#reason-ok'); btn.disabled = true;
        reasonAction(rf.reason.value.trim()).then(function () { $('#reason-dialog').close(); },
          function (err) { toast(err.message, true); }).then(function () { btn.disabled = false; });
      });
      var deact = $('#deactivate-btn');
      if (deact) deact.addEventListener('click', function () {
        askReason('下架 · Off sale', '下架后不能出售，可随时上架。', function (reason) {
          return api('POST', '/api/products/' + enc + '/status', { active: false, reason: reason }).then(function () { location.reload(); });
        });
      });
      var act = $('#activate-btn');
      if (act) act.addEventListener('click', function () {
        act.disabled = true;
        api('POST', '/api/products/' + enc + '/status', { active: true }).then(function () { location.reload(); },
          function (err) { toast(err.message, true); act.disabled = false; });
      });
      var salesT = $('#sales');
      if (salesT) salesT.addEventListener('click', function (e) {
        var b = e.target.closest('.return-btn');
        if (!b) return;
        var id = b.closest('tr').getAttribute('data-sale'), kind = b.getAttribute('data-kind');
        var req = rid();
        askReason(kind === '退货' ? '退货 · Return' : '撤销销售 · Undo sale',
          kind === '退货' ? '顾客退回商品：库存 +1，销售额冲减。' : '录错的销售：库存 +1，销售额冲减。', function (reason) {
            return api('POST', '/api/sales/' + encodeURIComponent(id) + '/return', { kind: kind, reason: reason, request_id: req })
              .then(function (j) { setStock(j); toast((kind === '退货' ? '已退货' : '已撤销') + ' · 库存 ' + j.stock); });
          });
      });

      var mode = 'restock', stockReq = null;
      var openStock = function (m) {
        mode = m; stockReq = rid();
        $('#stock-title').textContent = m === 'restock' ? '入库 · Restock' : '盘点 · Count';
        $('#stock-label').textContent = m === 'restock' ? '入库数量' : '盘点后实际数量';
        var f = $('#stock-form'); f.n.value = m === 'restock' ? 1 : $('#stock').textContent; f.reason.value = '';
        f.reason.required = m === 'adjust';
        $('#stock-sup').hidden = m !== 'restock';
        if ($('#stock-cost')) $('#stock-cost').hidden = m !== 'restock';
        $('#stock-dialog').showModal();
      };
      if ($('#restock-btn')) $('#restock-btn').addEventListener('click', function () { openStock('restock'); });
      var adj = $('#adjust-btn');
      if (adj) adj.addEventListener('click', function () { openStock('adjust'); });
      var stf = $('#stock-form');
      if (stf) stf.addEventListener('submit', function (e) {
        if (e.submitter && e.submitter.value !== 'ok') return;
        e.preventDefault();
        var f = e.target, n = parseInt(f.n.value, 10);
        var body = { stock: n, reason: f.reason.value, request_id: stockReq };
        if (mode === 'restock') {
          body = { qty: n, reason: f.reason.value, supplier_id: Number(f.supplier.value) || 0, request_id: stockReq };
          if (f.cost && f.cost.value !== '') body.unit_cost = Number(f.cost.value);
        }
        api('POST', '/api/products/' + enc + '/' + mode, body).then(function (j) {
          $('#stock-dialog').close(); setStock(j); toast('库存已更新 · stock ' + j.stock);
        }, function (err) { toast(err.message, true); });
      });
    }

    // ---- edit ----
    var ef = $('#edit-form');
    if (ef) {
      var ecode = encodeURIComponent(ef.getAttribute('data-code'));
      ef.addEventListener('submit', function (e) {
        e.preventDefault();
        var body = {};
        ['name', 'brand', 'model', 'color', 'location', 'notes'].forEach(function (k) { if (ef[k]) body[k] = ef[k].value; });
        ['price', 'floor', 'cost'].forEach(function (k) { if (ef[k]) body[k] = ef[k].value === '' ? 0 : Number(ef[k].value); });
        if (ef.supplier_id) body.supplier_id = Number(ef.supplier_id.value) || 0;
        $('#edit-save').disabled = true;
        api('PATCH', '/api/products/' + ecode, body).then(function () {
          toast('已保存 · saved'); location.href = '/p/' + ecode;
        }, function (err) { toast(err.message, true); $('#edit-save').disabled = false; });
      });
      var pf = $('#photo-form');
      if (pf) pf.addEventListener('submit', function (e) {
        e.preventDefault();
        if (tooBig(pf.photo)) return;
        if (!pf.photo.files.length) { toast('请选择照片', true); return; }
        $('#photo-add').disabled = true;
        api('POST', '/api/products/' + ecode + '/photos', new FormData(pf)).then(function () { location.reload(); },
          function (err) { toast(err.message, true); $('#photo-add').disabled = false; });
      });
      var phs = $('#photos');
      if (phs) phs.addEventListener('click', function (e) {
        var b = e.target.closest('.photo-del');
        if (!b || !confirm('删除这张照片？')) return;
        b.disabled = true;
        api('DELETE', '/api/products/' + ecode + '/photos/' + encodeURIComponent(b.getAttribute('data-id'))).then(function () { location.reload(); },
          function (err) { toast(err.message, true); b.disabled = false; });
      });
    }

    // ---- suppliers and customers: create and edit ----
    Array.prototype.forEach.call(document.querySelectorAll('.partner-form'), function (f) {
      f.addEventListener('submit', function (e) {
        e.preventDefault();
        var kind = f.getAttribute('data-kind'), id = f.getAttribute('data-id');
        var body = {};
        ['name', 'contact', 'phone', 'external_id', 'notes'].forEach(function (k) { if (f[k]) body[k] = f[k].value.trim(); });
        if (f.deleted) body.deleted = f.deleted.checked;
        var btn = f.querySelector('button'); btn.disabled = true;
        api(id ? 'PATCH' : 'POST', '/api/' + kind + (id ? '/' + id : ''), body).then(function (x) {
          toast('已保存 · saved');
          location.href = '/' + kind + '/' + x.id;
        }, function (err) { toast(err.message, true); btn.disabled = false; });
      });
    });

    // ---- labels: settings, logo, preview, selection (kept across pages in sessionStorage) ----
    var lsf = $('#settings-form');
    var preview = $('#label-preview');
    var previewURL = function () {
      if (!lsf) return '/labels/preview.png?t=' + Date.now();
      var q = new URLSearchParams({ size: lsf.size.value, price: lsf.price.checked ? '1' : '0', shop: lsf.shop.checked ? '1' : '0', shop_name: lsf.shop_name.value, t: Date.now() });
      return '/labels/preview.png?' + q.toString();
    };
    if (lsf) {
      lsf.addEventListener('change', function () { preview.src = previewURL(); });
      lsf.addEventListener('submit', function (e) {
        e.preventDefault();
        $('#settings-save').disabled = true;
        api('PUT', '/api/labels/settings', { size: lsf.size.value, price: lsf.price.checked, shop: lsf.shop.checked, shop_name: lsf.shop_name.value })
          .then(function () { toast('标签设置已保存 · saved'); preview.src = previewURL(); }, function (err) { toast(err.message, true); })
          .then(function () { $('#settings-save').disabled = false; });
      });
    }
    var lf = $('#logo-form');
    if (lf) lf.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!lf.logo.files.length) { toast('请选择标志图片', true); return; }
      $('#logo-upload').disabled = true;
      api('POST', '/api/labels/logo', new FormData(lf)).then(function () { location.reload(); },
        function (err) { toast(err.message, true); $('#logo-upload').disabled = false; });
    });
    var ld = $('#logo-delete');
    if (ld) ld.addEventListener('click', function () {
      api('DELETE', '/api/labels/logo').then(function () { location.reload(); }, function (err) { toast(err.message, true); });
    });
    var labf = $('#labels-form');
    if (labf) {
      var key = 'qiwei.labels', sel = [];
      try { sel = JSON.parse(sessionStorage.getItem(key) || '[]'); } catch (e) { sel = []; }
      if ($('#sel-codes').value) sel = $('#sel-codes').value.split(',');
      var boxes = Array.prototype.slice.call(labf.querySelectorAll('.sel'));
      var show = function () {
        try { sessionStorage.setItem(key, JSON.stringify(sel)); } catch (e) { /* private mode */ }
        $('#sel-codes').value = sel.join(',');
        $('#sel-count').textContent = '已选 ' + sel.length + ' 件';
        $('#labels-print').disabled = !sel.length;
        $('#sel-all').checked = boxes.length > 0 && boxes.every(function (b) { return b.checked; });
      };
      boxes.forEach(function (b) { b.checked = sel.indexOf(b.value) >= 0; });
      labf.addEventListener('change', function (e) {
        if (e.target.id === 'sel-all') boxes.forEach(function (b) { b.checked = e.target.checked; });
        boxes.forEach(function (b) {
          var i = sel.indexOf(b.value);
          if (b.checked && i < 0) sel.push(b.value);
          if (!b.checked && i >= 0) sel.splice(i, 1);
        });
        show();
      });
      show();
    }

    // ---- register ----
    var nf = $('#new-form');
    if (nf) {
      var newReq = rid();
      nf.addEventListener('submit', function (e) {
        e.preventDefault();
        if (tooBig(nf.photo)) return;
        var fd = new FormData(nf); fd.append('request_id', newReq);
        $('#new-submit').disabled = true;
        api('POST', '/api/products', fd).then(function (p) {
          newReq = rid();
          $('#new-result').hidden = false;
          var a = $('#new-link'); a.href = '/p/' + encodeURIComponent(p.code); a.textContent = p.code + ' · ' + p.name;
          $('#new-label').src = '/label/' + encodeURIComponent(p.code) + '.png';
          $('#new-pdf').href = '/labels.pdf?codes=' + encodeURIComponent(p.code);
          nf.reset(); toast('已入库 ' + p.code);
          $('#new-result').scrollIntoView({ behavior: 'smooth', block: 'start' });
        }, function (err) { toast(err.message, true); }).then(function () { $('#new-submit').disabled = false; });
      });
    }
    // A label image prints at its real size (the PNG is 300 dpi), alone on the page.
    Array.prototype.forEach.call(document.querySelectorAll('.print-label .label-img'), function (img) {
      var size = function () { if (img.naturalWidth) img.style.setProperty('--mm', (img.naturalWidth / 300 * 25.4).toFixed(1) + 'mm'); };
      img.addEventListener('load', size); size();
    });
    var np = $('#new-print');
    if (np) np.addEventListener('click', function () { window.print(); });

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
