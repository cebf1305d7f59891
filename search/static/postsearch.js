/* postsearch: a search box for any page, against a postsearch server.
 *
 *   <div id="postsearch"></div>
 *   <script src="https://search.example.com/postsearch.js" defer></script>
 *
 * The script finds its server from its own address (or a data-api attribute on the div), adds its stylesheet
 * when the page has none, and builds the box in the div. Every text from the server is inserted as text; the
 * only markup taken from it is the <mark> of snippets, rebuilt element by element.
 */
(function () {
  "use strict";
  var script = document.currentScript;

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // A link only to a page path or an http(s) address: never javascript:, data: or the like.
  function safeUrl(url) {
    // browsers drop tabs and line breaks from a URL and read "\\" as "/": "/\\evil.example" and "/\t/evil" leave the site
    if (typeof url !== "string" || /[\u0000-\u001f\u007f-\u009f]/.test(url)) return null;
    if (/^\/(?![\/\\])/.test(url) || /^#/.test(url) || /^https?:\/\//i.test(url)) return url;
    return null;
  }

  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };
  function decode(text) {
    return text.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, function (entity) { return ENTITIES[entity]; });
  }

  // A snippet is escaped text with <mark> around matches: rebuilt as text nodes and <mark> elements.
  function snippetNodes(snippet) {
    var out = document.createDocumentFragment();
    String(snippet || "").split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") return true;
      if (part === "</mark>") return false;
      if (part) out.appendChild(marked ? el("mark", { text: decode(part) }) : document.createTextNode(decode(part)));
      return marked;
    }, false);
    return out;
  }

  // the filters the page offers: the API's filter parameter, and the facet of the results that counts its values
  var FACETS = [["tag", "tags"], ["category", "categories"], ["author", "authors"], ["year", "years"]];

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function PostSearch(root, api) {
    var id = "ps" + Math.random().toString(36).slice(2, 8);
    var state = { q: "", page: 1, filters: {}, completions: [], active: -1, asked: 0 };
    var input = el("input", {
      id: id + "-q", class: "ps-input", type: "search", autocomplete: "off", spellcheck: "false",
      role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": id + "-list",
      placeholder: "Search posts", name: "q"
    });
    var list = el("ul", { id: id + "-list", class: "ps-completions", role: "listbox", "aria-label": "Suggestions" });
    list.hidden = true;
    var status = el("p", { class: "ps-status", role: "status", "aria-live": "polite" });
    var filters = el("div", { class: "ps-filters", role: "group", "aria-label": "Filter by tag, category, author or year" });
    var results = el("ol", { class: "ps-results", "aria-label": "Results" });
    var pages = el("nav", { class: "ps-pages", "aria-label": "Result pages" });
    var form = el("form", { class: "ps", role: "search", action: "" }, [
      el("label", { class: "ps-label", for: input.id, text: "Search the posts" }),
      el("div", { class: "ps-box" }, [input, list]),
      el("p", { class: "ps-hint", text: "Press / or Ctrl-K to search, arrows to move, Enter to open, Escape to close." }),
      status, filters, results, pages
    ]);
    root.appendChild(form);

    function get(path, params) {
      var query = Object.keys(params).map(function (key) {
        return [].concat(params[key]).map(function (value) {
          return encodeURIComponent(key) + "=" + encodeURIComponent(value);
        }).join("&");
      }).filter(Boolean).join("&");
      return fetch(api + path + "?" + query, { headers: { Accept: "application/json" } }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || "The search failed.");
          return body;
        });
      });
    }

    // --- recent searches: kept in this browser's own storage, never sent anywhere ---
    var RECENT_KEY = "postsearch:recent", RECENT_COUNT = 8;
    function recentSearches() {
      try {
        var kept = JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
        return Array.isArray(kept) ? kept.filter(function (q) { return typeof q === "string" && q; }).slice(0, RECENT_COUNT) : [];
      } catch (error) { return []; }  // storage off, or full, or not ours
    }
    function remember(q) {
      q = String(q || "").trim().slice(0, 200);
      if (!q) return;
      var kept = [q].concat(recentSearches().filter(function (old) { return old !== q; })).slice(0, RECENT_COUNT);
      try { window.localStorage.setItem(RECENT_KEY, JSON.stringify(kept)); } catch (error) { /* not kept */ }
    }
    function showRecent() {
      if (input.value.trim()) return;
      showCompletions(recentSearches().map(function (q) { return { kind: "recent", text: q }; }));
    }

    // --- completions ---
    function showCompletions(items) {
      state.completions = items;
      state.active = -1;
      list.textContent = "";
      items.forEach(function (item, n) {
        var option = el("li", { id: id + "-opt-" + n, class: "ps-option", role: "option", "aria-selected": "false" }, [
          el("span", { class: "ps-kind", text: item.kind }), el("span", { text: item.text })
        ]);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(n); });
        list.appendChild(option);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
      input.removeAttribute("aria-activedescendant");
    }

    function closeCompletions() { showCompletions([]); }

    function highlightCompletion(n) {
      state.active = n;
      Array.prototype.forEach.call(list.children, function (option, m) {
        option.setAttribute("aria-selected", String(m === n));
      });
      if (n >= 0) input.setAttribute("aria-activedescendant", id + "-opt-" + n);
      else input.removeAttribute("aria-activedescendant");
    }

    function choose(n) {
      var item = state.completions[n];
      if (!item) return;
      var target = safeUrl(item.url);
      if (item.kind === "recent") { input.value = item.text; closeCompletions(); search(1); remember(item.text); return; }
      if (item.kind !== "word" && target) { remember(input.value); window.location.href = target; return; }
      var words = input.value.replace(/\S*$/, "");
      input.value = words + item.text + " ";
      closeCompletions();
      search(1);
    }

    var suggest = debounce(function () {
      var typed = input.value;
      if (!typed.trim()) { showRecent(); return; }
      get("suggest", { q: typed, limit: 8 }).then(function (data) {
        if (input.value !== typed || state.resultsFor === typed) return;  // results came first: they stay in view
        var items = [];
        data.titles.forEach(function (t) { items.push({ kind: "title", text: t.text, url: t.url }); });
        data.headings.forEach(function (h) { items.push({ kind: "heading", text: h.text, url: h.url }); });
        data.words.forEach(function (w) { items.push({ kind: "word", text: w }); });
        showCompletions(document.activeElement === input ? items : []);
      }).catch(function () { closeCompletions(); });
    }, 50);

    // --- results ---
    // typing: searched on a keystroke, so the last word is the start of a word (unless a space follows it)
    function search(page, typing) {
      var q = typing ? input.value.replace(/^\s+/, "") : input.value.trim();
      state.page = page;
      if (!q.trim()) { results.textContent = ""; pages.textContent = ""; filters.textContent = ""; status.textContent = ""; return; }
      var asked = ++state.asked;
      var params = { q: q, page: page, per_page: 10 };
      if (typing) params.typing = 1;
      Object.keys(state.filters).forEach(function (key) { params[key] = state.filters[key]; });
      syncAddress(q.trim(), page, !typing);
      var typed = input.value;
      get("search", params).then(function (data) {
        if (asked === state.asked) { state.resultsFor = typed; render(data); }
      }).catch(function (error) {
        if (asked === state.asked) { results.textContent = ""; status.textContent = error.message; }
      });
    }

    // A query takes milliseconds on the server: results wait only for a pause in typing (Pagefind's UI waits
    // 300 ms), long enough for the completions (asked for first) to show what the words lead to meanwhile.
    var searchSoon = debounce(function () { search(1, true); }, 150);

    // --- the address: the query, page and filters live in it, so results can be shared, kept and reached with
    // Back (replaced while typing, a new entry on Enter, a filter or a page) ---
    var ownsAddress = root.getAttribute("data-read-url") !== "false";
    function syncAddress(q, page, push) {
      if (!ownsAddress || !window.history || !history.replaceState) return;
      var params = new URLSearchParams();
      params.set("q", q);
      if (page > 1) params.set("page", String(page));
      Object.keys(state.filters).forEach(function (key) { params.set(key, state.filters[key]); });
      var address = "?" + params.toString();
      if (address === window.location.search) return;
      if (push) history.pushState(null, "", address); else history.replaceState(null, "", address);
    }
    function readAddress() {
      var params = new URLSearchParams(window.location.search);
      state.filters = {};
      FACETS.forEach(function (facet) { if (params.get(facet[0])) state.filters[facet[0]] = params.get(facet[0]); });
      input.value = params.get("q") || "";
      var page = parseInt(params.get("page") || "1", 10);
      if (input.value) { ownsAddress = false; search(page > 0 ? page : 1); ownsAddress = true; }
      else { results.textContent = ""; pages.textContent = ""; filters.textContent = ""; status.textContent = ""; }
    }

    function render(data) {
      state.q = data.query;
      closeCompletions();  // the first results are what the reader looks for now: the list must not hide them
      status.textContent = "";
      if (data.suggestion) {
        var fix = el("button", { type: "button", class: "ps-fix", text: data.suggestion });
        fix.addEventListener("click", function () { input.value = data.suggestion; search(1); });
        status.appendChild(document.createTextNode(data.corrected ? "Showing results for " : "Did you mean "));
        status.appendChild(fix);
        status.appendChild(document.createTextNode(data.corrected ? ". " : "? "));
      }
      status.appendChild(document.createTextNode(
        data.total === 0 ? "No post matches \u201c" + data.query.trim() + "\u201d." :
        data.total === 1 ? "1 matching post." : data.total + " matching posts." + (data.partial ? " (Search stopped early.)" : "")));
      renderFilters(data.facets || {});
      results.textContent = "";
      if (data.total === 0) status.appendChild(emptyState(data));
      data.hits.forEach(function (hit) { results.appendChild(renderHit(hit)); });
      renderPages(data);
      // for a site's own measurements (and bench/keystrokes.py): when the results of which query were put on the page
      if (window.performance && performance.mark) performance.mark("postsearch:results", { detail: data.query });
    }

    // What to try when nothing matched: the did-you-mean shows above; fewer words, no filters, a wider date.
    function emptyState(data) {
      var tips = [];
      if (data.suggestion) tips.push("Search for the suggested spelling above.");
      if (/\S\s+\S/.test(data.query)) tips.push("Use fewer words, or other words for the same thing.");
      else tips.push("Check the spelling, or try a more general word.");
      if (Object.keys(state.filters).length) tips.push("Remove the filters: they keep only posts that have them.");
      if (/\bdate:/i.test(data.query)) tips.push("Try a wider date, or none.");
      if (/"/.test(data.query)) tips.push("Drop the quotes: a phrase needs its words side by side.");
      return el("ul", { class: "ps-empty" }, tips.map(function (tip) { return el("li", { text: tip }); }));
    }

    function link(url, text, className) {
      var href = safeUrl(url);
      return href ? el("a", { href: href, class: className || "", text: text }) : el("span", { class: className || "", text: text });
    }

    function renderHit(hit) {
      var meta = el("p", { class: "ps-meta" });
      if (hit.date) meta.appendChild(el("time", { datetime: hit.date, text: hit.date.slice(0, 10) }));
      (hit.tags || []).forEach(function (tag) { meta.appendChild(el("span", { class: "ps-tag", text: "#" + tag })); });
      var sections = el("ul", { class: "ps-sections" });
      hit.sections.forEach(function (section) {
        var crumbs = (section.heading_path || []).slice(1).join(" › ") || "Introduction";
        var short = section.short_snippet || section.snippet;
        var snippet = el("p", { class: "ps-snippet" }, [snippetNodes(short)]);
        // the link lands on the words that matched (a text fragment), or on the section where that is not known
        var item = el("li", { class: "ps-section" }, [link(section.text_url || section.url, crumbs, "ps-crumb ps-nav"), snippet]);
        if (short !== section.snippet) {  // one line a section; the other places it matched on demand
          var more = el("button", { type: "button", class: "ps-more", "aria-expanded": "false", text: "More" });
          more.addEventListener("click", function () {
            var open = more.getAttribute("aria-expanded") !== "true";
            snippet.textContent = "";
            snippet.appendChild(snippetNodes(open ? section.snippet : short));
            more.setAttribute("aria-expanded", String(open));
            more.textContent = open ? "Less" : "More";
          });
          item.appendChild(more);
        }
        sections.appendChild(item);
      });
      return el("li", { class: "ps-hit" }, [el("h2", {}, [link(hit.url, hit.title, "ps-nav")]), meta, sections]);
    }

    function renderFilters(facets) {
      filters.textContent = "";
      FACETS.forEach(function (pair) {
        var name = pair[0];
        (facets[pair[1]] || []).slice(0, 12).forEach(function (facet) {
          var on = state.filters[name] === facet.value;
          var button = el("button", { type: "button", class: "ps-filter", "aria-pressed": String(on) }, [
            document.createTextNode(name + ": " + facet.value), el("span", { class: "ps-count", text: String(facet.count) })
          ]);
          button.addEventListener("click", function () {
            if (on) delete state.filters[name]; else state.filters[name] = facet.value;
            search(1);
          });
          filters.appendChild(button);
        });
      });
    }

    function renderPages(data) {
      pages.textContent = "";
      if (data.pages <= 1) return;
      var previous = el("button", { type: "button", text: "Previous" });
      var next = el("button", { type: "button", text: "Next" });
      previous.disabled = data.page <= 1;
      next.disabled = data.page >= data.pages;
      previous.addEventListener("click", function () { search(data.page - 1); });
      next.addEventListener("click", function () { search(data.page + 1); });
      pages.appendChild(previous);
      pages.appendChild(el("span", { text: "Page " + data.page + " of " + data.pages }));
      pages.appendChild(next);
    }

    // --- keyboard ---
    function resultLinks() { return Array.prototype.slice.call(results.querySelectorAll("a.ps-nav")); }

    input.addEventListener("input", function () { suggest(); searchSoon(); });
    input.addEventListener("blur", function () { setTimeout(closeCompletions, 150); });
    input.addEventListener("focus", showRecent);
    results.addEventListener("click", function (event) {
      if (event.target && event.target.closest && event.target.closest("a.ps-nav")) remember(state.q);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && state.completions.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (open && state.active < state.completions.length - 1) highlightCompletion(state.active + 1);
        else { var links = resultLinks(); closeCompletions(); if (links.length) links[0].focus(); }
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlightCompletion(Math.max(-1, state.active - 1));
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (open && state.active >= 0) choose(state.active);
        else { closeCompletions(); search(1); remember(input.value); }
      } else if (event.key === "Escape") {
        if (open) closeCompletions(); else { input.value = ""; search(1); }
      }
    });
    results.addEventListener("keydown", function (event) {
      var links = resultLinks(), at = links.indexOf(document.activeElement);
      if (at < 0) return;
      if (event.key === "ArrowDown" && at < links.length - 1) { event.preventDefault(); links[at + 1].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); if (at > 0) links[at - 1].focus(); else input.focus(); }
      if (event.key === "Escape") input.focus();
    });
    document.addEventListener("keydown", function (event) {
      var target = event.target, typing = target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable);
      var commandK = (event.ctrlKey || event.metaKey) && !event.altKey && String(event.key).toLowerCase() === "k";
      if ((event.key === "/" && !typing) || commandK) { event.preventDefault(); input.focus(); input.select(); }
    });

    if (ownsAddress) {
      window.addEventListener("popstate", readAddress);
      if (new URLSearchParams(window.location.search).get("q")) readAddress();
    }
  }

  function apiBase(root) {
    var given = root.getAttribute("data-api");
    if (given) return given.replace(/\/?$/, "/");
    if (given === "" || !script || !script.src) return "";
    return new URL(".", script.src).href;
  }

  function start() {
    var roots = document.querySelectorAll("#postsearch, [data-postsearch]");
    Array.prototype.forEach.call(roots, function (root) {
      if (root.getAttribute("data-ready")) return;
      root.setAttribute("data-ready", "true");
      root.textContent = "";  // the server's results for readers without JavaScript: the script takes over
      var api = apiBase(root);
      if (!document.querySelector("link[href$='postsearch.css']")) {
        document.head.appendChild(el("link", { rel: "stylesheet", href: api + "postsearch.css" }));
      }
      PostSearch(root, api);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
