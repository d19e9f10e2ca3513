// The search page: asks the Pagefind index that `newsgen build` writes (pagefind/ beside the pages)
// and shows the results as the theme's article cards. Loaded by search/index.html only.
//
// Nothing an article says is ever inserted as markup: titles, sections and dates go in as text, and
// of Pagefind's excerpt only the text and its <mark> elements are copied (see excerpt()).
const root = document.querySelector(".search");
const form = root.querySelector("form");
const box = form.elements.q;
const status = root.querySelector(".search-status");
const list = root.querySelector(".search-results");
const more = root.querySelector(".search-more");
const groups = root.querySelector(".search-filters");
const PAGE = 10;
// The page's words, in its language (search.html): each plural form of a count by CLDR category.
const WORDS = JSON.parse(root.dataset.strings);
const FILTERS = Object.fromEntries(WORDS.groups);
const plural = new Intl.PluralRules(document.documentElement.lang);
const numbers = new Intl.NumberFormat(document.documentElement.lang);
const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
const SHOWN = 12; // values per filter group, the most frequent first (checked ones always)

let pagefind;
let shown = [];
let search = 0; // the number of the latest search: an older one's results are dropped

const params = () => new URLSearchParams(new FormData(form));

function excerpt(html) {
  // Pagefind's excerpt is HTML: the page's text, escaped, with <mark> around the matches. It is parsed
  // in an inert document (nothing in it loads or runs) and rebuilt from text nodes and marks alone.
  const parsed = new DOMParser().parseFromString(html, "text/html").body;
  const out = document.createDocumentFragment();
  for (const node of parsed.childNodes) {
    if (node.nodeName === "MARK") {
      out.append(Object.assign(document.createElement("mark"), { textContent: node.textContent }));
    } else {
      out.append(node.textContent);
    }
  }
  return out;
}

function card(data) {
  const item = root.querySelector("template.search-card").content.firstElementChild.cloneNode(true);
  const [kicker, title] = item.querySelectorAll("a");
  if (data.meta.section) {
    kicker.textContent = data.meta.section;
    kicker.href = data.meta.section_url;
  } else {
    kicker.parentElement.remove();
  }
  title.textContent = data.meta.title;
  title.href = data.url;
  item.querySelector(".card-summary").append(excerpt(data.excerpt));
  const time = item.querySelector("time");
  time.textContent = data.meta.date;
  time.dateTime = data.meta.datetime;
  return item;
}

function drawFilters(counts, wanted) {
  // Drawn afresh for every search: the checkbox a reader just toggled gets the focus back.
  const focused = groups.contains(document.activeElement) ? document.activeElement : null;
  groups.replaceChildren();
  for (const [name, legend] of Object.entries(FILTERS)) {
    const values = Object.entries(counts[name] || {})
      .filter(([value, count]) => count > 0 || wanted.getAll(name).includes(value))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const kept = values.filter(([value], i) => i < SHOWN || wanted.getAll(name).includes(value));
    if (!kept.length) continue;
    const group = root.querySelector("template.search-group").content.firstElementChild.cloneNode(true);
    group.querySelector("legend").textContent = legend;
    for (const [value, count] of kept) {
      const label = document.createElement("label");
      const input = Object.assign(document.createElement("input"), { type: "checkbox", name, value });
      input.checked = wanted.getAll(name).includes(value);
      const again = focused && focused.name === name && focused.value === value;
      label.append(input, ` ${value} `, Object.assign(document.createElement("span"), {
        className: "count", textContent: `(${count})` }));
      const item = document.createElement("li");
      item.append(label);
      group.querySelector("ul").append(item);
      if (again) queueMicrotask(() => input.focus());
    }
    groups.append(group);
  }
}

async function showMore() {
  const next = shown.splice(0, PAGE);
  const cards = await Promise.all(next.map((result) => result.data()));
  list.append(...cards.map(card));
  more.hidden = shown.length === 0;
}

async function run() {
  const number = ++search;
  const wanted = params();
  const term = wanted.get("q").trim();
  // Each group's checked values are alternatives (World or Politics); the groups narrow each other.
  const filters = {};
  for (const name of Object.keys(FILTERS)) {
    if (wanted.getAll(name).length) filters[name] = { any: wanted.getAll(name) };
  }
  const query = new URLSearchParams([...wanted].filter(([, value]) => value !== ""));
  history.replaceState(null, "", query.size ? `?${query}` : location.pathname);
  if (!term && !Object.keys(filters).length) {
    list.replaceChildren();
    more.hidden = true;
    status.textContent = "";
    drawFilters(await pagefind.filters(), wanted);
    return;
  }
  const options = { filters };
  if (wanted.get("sort") === "date") options.sort = { date: "desc" };
  const found = await pagefind.search(term || null, options);
  const counts = term ? found.totalFilters : await pagefind.filters();
  const first = await Promise.all(found.results.slice(0, PAGE).map((result) => result.data()));
  if (number !== search) return;
  // All at once, the filters above the results first: nothing on screen moves twice.
  drawFilters(counts, wanted);
  const count = found.results.length;
  const articles = fill(WORDS.found[plural.select(count)] || WORDS.found.other, { number: numbers.format(count) });
  status.textContent = count ? (term ? fill(WORDS.foundFor, { found: articles, words: term }) : articles)
    : (term ? fill(WORDS.noneFor, { words: term }) : WORDS.none);
  list.replaceChildren(...first.map(card));
  shown = found.results.slice(PAGE);
  more.hidden = shown.length === 0;
}

async function start() {
  const wanted = new URLSearchParams(location.search);
  box.value = wanted.get("q") || "";
  form.elements.sort.value = wanted.get("sort") === "date" ? "date" : "";
  try {
    pagefind = await import(`${root.dataset.bundle}pagefind.js`);
    await pagefind.options({ baseUrl: root.dataset.base, excerptLength: 30 });
    await pagefind.init();
  } catch (error) {
    status.textContent = WORDS.failed;
    return;
  }
  // Loads every filter's chunk, without which a search counts no filter values. Checked filters
  // from a shared address are drawn (and so sent) before the first search.
  const all = await pagefind.filters();
  groups.parentElement.open = Object.keys(FILTERS).some((name) => wanted.has(name));
  drawFilters(Object.fromEntries(Object.keys(FILTERS).map((name) =>
    [name, Object.fromEntries(wanted.getAll(name).map((value) => [value, all[name]?.[value] || 0]))])), wanted);
  let timer;
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  form.addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(run, event.target === box ? 250 : 0);
  });
  more.addEventListener("click", showMore);
  await run();
}

start();
