// Demo shell: load the package, show the device, run the GPU-vs-CPU self-check. window.__result is for the e2e tier.
import initWasm, { init, createRuntime } from './pkg/webreward.js';

const $ = (id) => document.getElementById(id);
const backend = new URLSearchParams(location.search).get('backend') || 'auto';

// wgpu's WebGPU backend leaves the adapter name empty; the browser's GPUAdapterInfo names it.
async function adapterLabel(a) {
  let name = a.name;
  if (!name && navigator.gpu) {
    const info = (await navigator.gpu.requestAdapter())?.info;
    name = info && [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  }
  return `${name || 'unnamed adapter'} (${a.backend}${a.driver ? `, ${a.driver}` : ''})`;
}

async function main() {
  await initWasm();
  init();
  const rt = await createRuntime(backend);
  const info = rt.info();
  if (info.backend === 'webgpu') {
    $('backend').textContent = 'WebGPU';
    $('adapter').textContent = await adapterLabel(info.adapter);
    const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    $('limits').textContent =
      `maxStorageBufferBindingSize ${mib(info.limits.maxStorageBufferBindingSize)}, maxBufferSize ${mib(info.limits.maxBufferSize)}`;
  } else {
    $('backend').textContent = `CPU fallback: ${info.fallbackReason}`;
  }
  const t0 = performance.now();
  const maxDiff = await rt.selfCheck();
  const ms = performance.now() - t0;
  const ok = maxDiff <= 1e-5;
  $('check').textContent = `${ok ? 'passed' : 'FAILED'}: max |device − CPU| = ${maxDiff.toExponential(2)} (${ms.toFixed(0)} ms)`;
  $('check').className = ok ? 'ok' : 'bad';
  return { ok, info, maxDiff, ms };
}

main()
  .then((r) => { window.__result = r; })
  .catch((e) => {
    $('check').textContent = `error ${e.code || e.name}: ${e.message}`;
    $('check').className = 'bad';
    window.__result = { ok: false, error: String(e), code: e.code };
  });
