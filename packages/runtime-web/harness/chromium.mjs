// Headless Chromium for the browser tests, the bench and the demo screenshot, driven by
// playwright-core (no browser download: the system's Chromium, Debian package `chromium`).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** The Chromium binary: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export function chromiumPath() {
  return process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
}

/** Whether the Chromium binary exists. */
export function hasChromium() {
  return existsSync(chromiumPath());
}

/**
 * Flags on top of playwright's defaults (which already add --headless, --no-sandbox, a fresh empty
 * --user-data-dir, --no-first-run, --disable-sync, --disable-background-networking,
 * --disable-component-update and more; they are repeated here so the list stands on its own).
 * WebGPU: `--enable-unsafe-webgpu` exposes navigator.gpu on Linux; the adapter is SwiftShader
 * (Vulkan on the CPU), which has no shader-f16. Without the networking flags Chromium keeps
 * trying to reach Google services, which this machine's closed network refuses.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-domain-reliability',
  '--disable-features=OptimizationHints,MediaRouter,Translate',
]);

/**
 * Launch headless Chromium.
 * @param {{ args?: string[] }} [options] extra flags.
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchChromium(options = {}) {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    chromiumSandbox: false,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
