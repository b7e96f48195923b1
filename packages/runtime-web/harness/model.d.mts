export declare const EARLY_UNET: string;
export declare const EMBEDDED_DIR: string;
export declare const EARLY_MANIFEST: Readonly<Record<string, unknown>>;
/** The fashion model folder (env, embedded package, or the early export), or null when there is none. */
export declare function fashionModel(): Promise<{ dir: string; source: 'env' | 'embedded' | 'early' } | null>;
