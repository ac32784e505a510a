// Page loads in Chromium for BENCHMARKS.md: the time from navigation to a hydrated page (HTML, CSS,
// JS and WASM fetched, compiled and run: `body[data-hydrated]`), and the bytes that came over the
// wire, for a cold load (new browser profile, empty cache) and a warm one (the same profile again).
// Usage: node benchmarks/page-load.cjs <base-url> [runs]   (benchmarks/http.sh runs it)
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'end2end', 'node_modules', '@playwright', 'test'));

const base = process.argv[2];
const runs = Number(process.argv[3] || 5);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

async function load(page, url) {
  const sizes = [];
  const counter = (request) => sizes.push(request.sizes().catch(() => ({ responseBodySize: 0, responseHeadersSize: 0 })));
  page.on('requestfinished', counter);
  const start = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated]', { timeout: 30_000 });
  const ms = Date.now() - start;
  page.off('requestfinished', counter);
  // Encoded (compressed) body bytes that crossed the network; 0 for what the cache answered.
  const bytes = (await Promise.all(sizes)).reduce((sum, s) => sum + s.responseBodySize + s.responseHeadersSize, 0);
  return { ms, bytes };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args });
  for (const target of ['/login', '/overview', '/exceptions', '/disputes']) {
    const cold = [];
    const warm = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      if (target !== '/login') {
        // Sign in first (that load is not measured), then start from an empty cache.
        await page.goto(`${base}/login`);
        await page.fill('input[name=email]', 'ops@settlepaisa.test');
        await page.fill('input[name=password]', 'SettlePaisa@2025');
        await Promise.all([page.waitForURL(/overview/), page.click('button[type=submit]')]);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.clearBrowserCache');
      }
      cold.push(await load(page, `${base}${target}`));
      warm.push(await load(page, `${base}${target}`));
      await context.close();
    }
    const line = (label, xs) =>
      `${target} ${label}: median ${median(xs.map((x) => x.ms))} ms (runs: ${xs.map((x) => x.ms).join(', ')}), ` +
      `${Math.round(median(xs.map((x) => x.bytes)) / 1024)} KB over the wire`;
    console.log(line('cold', cold));
    console.log(line('warm', warm));
  }
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
