export declare const EMBEDDED_DIR: string;
/** The fashion model folder (FLEXI_FASHION_MODEL_DIR or the embedded package); throws when the embedded model is missing. */
export declare function fashionModel(): Promise<{ dir: string; source: 'env' | 'embedded' }>;
