import type { Browser } from 'playwright-core';
/** The Chromium binary: $CHROMIUM_PATH, else /usr/bin/chromium. */
export declare function chromiumPath(): string;
/** Whether the Chromium binary exists. */
export declare function hasChromium(): boolean;
/** Flags passed on top of playwright's defaults. */
export declare const CHROMIUM_ARGS: readonly string[];
/** Launch headless Chromium. */
export declare function launchChromium(options?: { args?: string[] }): Promise<Browser>;
