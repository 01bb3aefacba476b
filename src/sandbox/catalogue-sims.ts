/** The URL catalogue's simulators over one seeded world of pages, and the variables that point ops at them. */
import { startAirtableSim, type AirtableSim, type AirtableSimOptions } from './airtable-sim.js';
import { startCrawlerSim, type CrawlerSim, type CrawlerSimOptions } from './crawler-sim.js';
import { startBigQuerySim, type BigQuerySim, type BigQuerySimOptions } from './bigquery-sim.js';
import { startScrapingBeeSim, type ScrapingBeeSim, type ScrapingBeeSimOptions } from './scrapingbee-sim.js';
import { seededPages, type SimPage } from './catalogue-seed.js';

export interface CatalogueSimsOptions {
  /** Landing pages in the seeded world. */
  pages?: number;
  airtable?: AirtableSimOptions;
  crawler?: CrawlerSimOptions;
  bigquery?: BigQuerySimOptions;
  scrapingbee?: ScrapingBeeSimOptions;
  host?: string;
}

export interface CatalogueSims {
  pages: SimPage[];
  airtable: AirtableSim;
  crawler: CrawlerSim;
  bigquery: BigQuerySim;
  scrapingbee: ScrapingBeeSim;
  env: Record<string, string>;
  close(): Promise<void>;
}

const AIRTABLE_PAT = 'patSandbox.0000000000000000';
const CRAWLER_KEY = 'crawler-sandbox-key';
const SCRAPINGBEE_KEY = 'spb-sandbox-key-0000';

export async function startCatalogueSims(options: CatalogueSimsOptions = {}): Promise<CatalogueSims> {
  const pages = seededPages(options.pages ?? 40);
  const airtable = await startAirtableSim(pages, { ...options.airtable, apiKey: AIRTABLE_PAT, host: options.host });
  const crawler = await startCrawlerSim(pages, { ...options.crawler, apiKey: CRAWLER_KEY, host: options.host });
  const bigquery = await startBigQuerySim(pages, { ...options.bigquery, host: options.host });
  const scrapingbee = await startScrapingBeeSim(pages, { ...options.scrapingbee, apiKey: SCRAPINGBEE_KEY, host: options.host });
  const env: Record<string, string> = {
    SCRAPINGBEE_API_URL: scrapingbee.apiUrl,
    SCRAPINGBEE_API_KEY: SCRAPINGBEE_KEY,
    BIGQUERY_API_ENDPOINT: bigquery.endpoint,
    BIGQUERY_PROJECT: bigquery.projectId,
    BIGQUERY_DATASET: 'analytics',
    GOOGLE_APPLICATION_CREDENTIALS: bigquery.credentialsFile,
    // No probe of the GCE metadata server: every call stays on loopback.
    METADATA_SERVER_DETECTION: 'none',
    CRAWLER_GRAPHQL_ENDPOINT: crawler.endpoint,
    CRAWLER_GRAPHQL_KEY: CRAWLER_KEY,
    AIRTABLE_API_URL: airtable.baseUrl,
    AIRTABLE_PAT,
    AIRTABLE_BASE_ID: airtable.baseId,
    AIRTABLE_TABLE_ID: airtable.tableId,
    AIRTABLE_VIEW_ID: airtable.viewId,
  };
  return {
    pages,
    airtable,
    crawler,
    bigquery,
    scrapingbee,
    env,
    close: async () => {
      await Promise.all([airtable.close(), crawler.close(), bigquery.close(), scrapingbee.close()]);
    },
  };
}
