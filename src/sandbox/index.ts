/** Every simulator at once, and the variables that point `ops` at them. */
import { startLlmSim, type LlmSim, type LlmSimOptions } from './llm-sim.js';
import { startLocationSim, type LocationSim, type LocationSimOptions } from './location-sim.js';
import { startRunSignUpSim, type RunSignUpSim, type RunSignUpSimOptions } from './runsignup-sim.js';
import { startCatalogueSims, type CatalogueSims, type CatalogueSimsOptions } from './catalogue-sims.js';

export interface Sandbox {
  location: LocationSim;
  llm: LlmSim;
  runsignup: RunSignUpSim;
  /** The URL catalogue's systems: Airtable, crawler, BigQuery, ScrapingBee. */
  catalogue: CatalogueSims;
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface SandboxOptions {
  centers?: number;
  location?: LocationSimOptions;
  llm?: LlmSimOptions;
  catalogue?: CatalogueSimsOptions;
  host?: string;
  locationPort?: number;
  llmPort?: number;
  runsignup?: RunSignUpSimOptions;
  runsignupPort?: number;
}

const LOCATION_KEY = 'sandbox-location-key';
const OPENAI_KEY = 'sk-sandbox-0000000000000000';
const XAI_KEY = 'xai-sandbox-0000000000000000';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const location = await startLocationSim({
    centers: options.centers,
    ...options.location,
    apiKey: LOCATION_KEY,
    host: options.host,
    port: options.locationPort,
  });
  const llm = await startLlmSim({ ...options.llm, apiKey: undefined, host: options.host, port: options.llmPort });
  const runsignup = await startRunSignUpSim({ ...options.runsignup, host: options.host, port: options.runsignupPort });
  // RunSignUp: one base URL, and each partner's credentials as RSU_PARTNER_<n>_KEY/_SECRET (n from 1, as sim.partners[n - 1]).
  const runsignupEnv: Record<string, string> = { RUNSIGNUP_BASE_URL: runsignup.baseUrl };
  for (const [i, p] of runsignup.partners.entries()) {
    runsignupEnv[`RSU_PARTNER_${i + 1}_KEY`] = p.apiKey;
    runsignupEnv[`RSU_PARTNER_${i + 1}_SECRET`] = p.apiSecret;
  }
  const catalogue = await startCatalogueSims({ ...options.catalogue, host: options.host });
  const env = {
    ...catalogue.env,
    LOCATION_SLUG_API_URL: location.slugApiUrl,
    LOCATION_DATA_API_URL: location.dataApiUrl,
    LOCATION_API_KEY: LOCATION_KEY,
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_MODEL: 'gpt-4o-mini',
    XAI_BASE_URL: llm.baseUrl,
    XAI_API_KEY: XAI_KEY,
    XAI_MODEL: 'grok-4.3',
    ...runsignupEnv,
  };
  return {
    location,
    llm,
    runsignup,
    catalogue,
    env,
    close: async () => {
      await Promise.all([location.close(), llm.close(), runsignup.close(), catalogue.close()]);
    },
  };
}
