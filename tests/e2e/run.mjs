// Playwright e2e tier: serve www/, open it in headless Chromium with WebGPU (and once with backend=cpu), check the
// page reports the adapter and that the WebGPU self-check equals the CPU result; screenshots go to tests/e2e/out.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const cache = process.env.WEBREWARD_CACHE || `${process.env.HOME}/.cache/webreward`;
const { chromium } = createRequire(`${cache}/node/`)('playwright-core');
const out = path.join(here, 'out');
fs.mkdirSync(out, { recursive: true });
const port = 18000 + Math.floor(Math.random() * 2000);
const server = spawn('python3', [path.join(root, 'scripts/static_server.py'), path.join(root, 'www'), String(port)], { stdio: 'inherit' });

let passed = 0, failed = 0;
async function check(name, fn) {
  try { await fn(); passed++; console.log(`ok   ${name}`); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
const assert = (c, msg) => { if (!c) throw new Error(msg); };

async function openPage(browser, query, shot) {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`  [console] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`  [pageerror] ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/${query}`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 120000 });
  const r = await page.evaluate(() => window.__result);
  await page.screenshot({ path: path.join(out, shot), fullPage: true });
  const text = await page.textContent('main');
  await page.close();
  return { r, text };
}

try {
  for (let i = 0; i < 50; i++) { try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((s) => setTimeout(s, 100)); } }
  const launch = (extra) => chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, timeout: 60000,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extra] });
  const gpuBrowser = await launch(['--enable-unsafe-webgpu']);
  await check('WebGPU: adapter shown and self-check equals CPU', async () => {
    const { r, text } = await openPage(gpuBrowser, '?backend=webgpu', 'webgpu.png');
    assert(r.ok, `result ${JSON.stringify(r)}`);
    assert(r.info.backend === 'webgpu' && r.info.adapter.name !== undefined, `info ${JSON.stringify(r.info)}`);
    assert(r.info.limits.maxStorageBufferBindingSize > 0, 'limits missing');
    assert(r.maxDiff <= 1e-5, `maxDiff ${r.maxDiff}`);
    assert(text.includes('WebGPU') && text.includes('passed'), `page text: ${text}`);
    assert(!text.includes('unnamed adapter'), `the adapter is named on the page: ${text}`);
  });
  await check('backend=cpu query: CPU fallback shown with reason', async () => {
    const { r, text } = await openPage(gpuBrowser, '?backend=cpu', 'cpu-query.png');
    assert(r.ok && r.info.backend === 'cpu' && r.maxDiff === 0, `result ${JSON.stringify(r)}`);
    assert(text.includes('CPU fallback: backend=cpu requested'), `page text: ${text}`);
  });
  await check('bad backend: typed WebRewardError code shown', async () => {
    const { r, text } = await openPage(gpuBrowser, '?backend=tpu', 'bad-backend.png');
    assert(!r.ok && r.code === 'INVALID_ARGUMENT', `result ${JSON.stringify(r)}`);
    assert(text.includes('INVALID_ARGUMENT'), `page text: ${text}`);
  });
  await gpuBrowser.close();
  const noGpu = await launch(['--disable-webgpu']);
  await check('WebGPU disabled: auto falls back to CPU', async () => {
    const { r, text } = await openPage(noGpu, '', 'no-webgpu.png');
    assert(r.ok && r.info.backend === 'cpu' && r.info.fallbackReason, `result ${JSON.stringify(r)}`);
    assert(text.includes('CPU fallback:'), `page text: ${text}`);
  });
  await noGpu.close();
} finally {
  server.kill();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
