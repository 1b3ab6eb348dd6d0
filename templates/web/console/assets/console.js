// Small progressive enhancement for the console: every page works without it.
(function () {
  'use strict';

  // 1. Live board: server-sent events say "the board changed" (aggregated, a few a second at most);
  //    fetch the fresh fragment, keeping the groups the officer opened open (and their lists loaded).
  var live = document.getElementById('board-live');
  var loadGroup = function (details) {
    var link = details.querySelector('a.nw-open');
    if (!link || details.dataset.loaded) return;
    details.dataset.loaded = 'loading';
    var url = link.pathname + '/fragment' + link.search;
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) {
        return r.ok ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) {
        var body = document.createElement('div');
        body.className = 'nw-body';
        body.innerHTML = html;
        link.replaceWith(body);
        details.dataset.loaded = '1';
      })
      .catch(function () {
        delete details.dataset.loaded;
      });
  };
  if (live) {
    // A township's persons load when its group is opened (without script the link opens its page).
    live.addEventListener(
      'toggle',
      function (e) {
        var d = e.target;
        if (d.tagName === 'DETAILS' && d.open && d.classList.contains('nw-t')) loadGroup(d);
      },
      true,
    );
  }
  if (live && window.EventSource) {
    var dot = document.getElementById('live-dot');
    var text = document.getElementById('live-text');
    var timer = null;
    var inFlight = false;
    var again = false;
    var messages = 0;
    var refreshes = 0;
    var refresh = function () {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      fetch(live.dataset.fragment, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (r) {
          return r.ok ? r.text() : Promise.reject(r.status);
        })
        .then(function (html) {
          // Keep a note the officer is typing, and a selection being made.
          var typing =
            document.activeElement &&
            live.contains(document.activeElement) &&
            document.activeElement.tagName === 'INPUT';
          var selecting = live.querySelector('input[name=ids]:checked');
          if (!typing && !selecting) {
            var open = Array.prototype.map.call(live.querySelectorAll('details[open]'), function (d) {
              return d.dataset.area;
            });
            live.innerHTML = html;
            open.forEach(function (area) {
              var d = live.querySelector('details[data-area="' + area + '"]');
              if (d) {
                d.open = true;
                if (d.classList.contains('nw-t')) loadGroup(d);
              }
            });
            refreshes++;
            live.dataset.refreshes = String(refreshes);
          }
          live.dataset.refreshed = String(Date.now());
        })
        .catch(function () {})
        .then(function () {
          inFlight = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    };
    var schedule = function () {
      messages++;
      live.dataset.messages = String(messages);
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    };
    var es = new EventSource(live.dataset.events);
    ['board', 'alert', 'dlq'].forEach(function (t) {
      es.addEventListener(t, schedule);
    });
    es.addEventListener('hello', function () {
      dot.className = 'dot on';
      text.textContent = text.dataset.live;
      document.body.dataset.live = 'connected';
    });
    es.onerror = function () {
      dot.className = 'dot off';
      text.textContent = text.dataset.offline;
      document.body.dataset.live = 'reconnecting';
    };
  }

  // Printable lists: the print button (the page prints the same with the browser's own menu).
  document.addEventListener('click', function (e) {
    if (e.target.closest && e.target.closest('.print-now')) window.print();
  });

  // 2. Confirm dangerous buttons (cancel a warning).
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-confirm]');
    if (b && !window.confirm(b.dataset.confirm)) e.preventDefault();
  });

  // 3. Warning form: a signal offers only its allowed levels.
  var signal = document.getElementById('signal');
  var level = document.getElementById('level');
  if (signal && level) {
    var syncLevels = function () {
      var opt = signal.options[signal.selectedIndex];
      var allowed = ((opt && opt.dataset.levels) || '').split(' ');
      var firstAllowed = null;
      Array.prototype.forEach.call(level.options, function (o) {
        var ok = allowed.indexOf(o.value) >= 0;
        o.disabled = !ok;
        o.hidden = !ok;
        if (ok && !firstAllowed) firstAllowed = o;
      });
      if (level.selectedOptions[0] && level.selectedOptions[0].disabled && firstAllowed)
        firstAllowed.selected = true;
    };
    signal.addEventListener('change', syncLevels);
    syncLevels();
  }

  // 4. Area picker: the division tree from the directory, loaded a level at a time.
  var tree = document.getElementById('area-tree');
  if (tree) {
    var load = function (parent, into) {
      var url = tree.dataset.src + (parent ? '?parent=' + encodeURIComponent(parent) : '');
      return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) {
          return r.json();
        })
        .then(function (rows) {
          var ul = document.createElement('ul');
          rows.forEach(function (d) {
            var li = document.createElement('li');
            var label = document.createElement('label');
            label.className = 'check';
            var cb = document.createElement('input');
            cb.type = 'checkbox';
            cb.name = 'areas';
            cb.value = d.code + '|' + d.name;
            cb.dataset.code = d.code;
            label.appendChild(cb);
            label.appendChild(document.createTextNode(' ' + d.name + ' '));
            var code = document.createElement('code');
            code.textContent = d.code;
            label.appendChild(code);
            if (d.level !== 'village' && d.level !== 'township') {
              var more = document.createElement('button');
              more.type = 'button';
              more.className = 'expand';
              more.textContent = '▸';
              more.dataset.expand = d.code;
              more.addEventListener('click', function () {
                if (more.dataset.loaded) return;
                more.dataset.loaded = '1';
                more.textContent = '▾';
                load(d.code, li);
              });
              li.appendChild(more);
            }
            li.appendChild(label);
            ul.appendChild(li);
          });
          into.appendChild(ul);
        });
    };
    load(null, tree).catch(function () {});
  }
})();
