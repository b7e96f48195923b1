export declare const EMBEDDED_DIR: string;
/** The fashion model folder (FLEXI_FASHION_MODEL_DIR or the embedded package); throws when the embedded model is missing. */
export declare function fashionModel(): Promise<{ dir: string; source: 'env' | 'embedded' }>;
export declare const EMBEDDED_SD_DIR: string;
/** The text-to-image model folder (FLEXI_FASHION_SD_MODEL_DIR or packages/model-fashion-sd/model/); throws when missing. */
export declare function fashionSdModel(): Promise<{ dir: string; source: 'env' | 'embedded' }>;
