/** Settings of the URL catalogue's outside systems, and the clients they describe. */
import { settings, type SettingsOf } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import { AirtableClient } from '../../integrations/airtable.js';
import { BigQuerySessions } from '../../integrations/bigquery.js';
import { CrawlerClient } from '../../integrations/crawler.js';
import { ScrapingBeeClient } from '../../integrations/scrapingbee.js';

export const airtableSettings = {
  airtablePat: settings.secret('AIRTABLE_PAT', 'Airtable personal access token', { required: 'for the Airtable steps' }),
  airtableBaseId: settings.string('AIRTABLE_BASE_ID', 'Airtable base id', { required: 'for the Airtable steps', example: 'appfGPddh3kvKXSkx' }),
  airtableTableId: settings.string('AIRTABLE_TABLE_ID', 'Airtable table id', { required: 'for the Airtable steps', example: 'tbl5X32JvqrSwWaH' }),
  airtableViewId: settings.string('AIRTABLE_VIEW_ID', 'Airtable view id', { required: 'for the Airtable steps', example: 'viwyvspX2WSxsmEBg' }),
  airtableApiUrl: settings.url('AIRTABLE_API_URL', 'Airtable API base URL', { default: 'https://api.airtable.com' }),
  airtableUrlField: settings.string('AIRTABLE_URL_FIELD', 'the field holding the page URL', { default: 'URL' }),
  airtableStatusField: settings.string('AIRTABLE_STATUS_FIELD', 'the field holding the page status', { default: 'page_status' }),
  airtableRate: settings.int('AIRTABLE_RATE_LIMIT', 'requests per second per base (Airtable allows 5)', { min: 1, max: 5 }, { default: 5 }),
  airtablePenaltySeconds: settings.number(
    'AIRTABLE_429_WAIT_SECONDS',
    'how long a 429 stops every call to the base (Airtable: 30)',
    { min: 0, max: 120 },
    { default: 30 },
  ),
  airtableTimeoutSeconds: settings.number('AIRTABLE_TIMEOUT_SECONDS', 'timeout of one Airtable request', { min: 1, max: 300 }, { default: 30 }),
  airtableAttempts: settings.int('AIRTABLE_ATTEMPTS', 'attempts per Airtable request (network errors, 5xx, 429)', { min: 1, max: 10 }, { default: 4 }),
};

export function airtableFrom(config: SettingsOf<typeof airtableSettings>, log?: Logger): AirtableClient {
  return new AirtableClient(
    {
      apiUrl: config.airtableApiUrl,
      pat: config.airtablePat,
      baseId: config.airtableBaseId,
      tableId: config.airtableTableId,
      viewId: config.airtableViewId,
      timeoutMs: config.airtableTimeoutSeconds * 1000,
      attempts: config.airtableAttempts,
      penaltyMs: config.airtablePenaltySeconds * 1000,
      ratePerSecond: config.airtableRate,
    },
    log,
  );
}

export const crawlerSettings = {
  crawlerEndpoint: settings.url('CRAWLER_GRAPHQL_ENDPOINT', "the crawler's GraphQL endpoint", {
    required: 'for crawler-check',
    example: 'https://crawler.internal/graphql',
  }),
  crawlerKey: settings.secret('CRAWLER_GRAPHQL_KEY', 'sent as Authorization: Bearer', { required: 'for crawler-check' }),
  crawlerLookbackHours: settings.int(
    'CRAWLER_FIRST_LOOKBACK_HOURS',
    'how far back the first check looks (later ones start at the bookmark)',
    { min: 1, max: 24 * 365 },
    { default: 24 },
  ),
  crawlerPageSize: settings.int('CRAWLER_PAGE_SIZE', 'URLs asked per GraphQL page', { min: 1, max: 100 }, { default: 100 }),
  crawlerTimeoutSeconds: settings.number('CRAWLER_TIMEOUT_SECONDS', 'timeout of one GraphQL request', { min: 1, max: 300 }, { default: 30 }),
  crawlerAttempts: settings.int('CRAWLER_ATTEMPTS', 'attempts per request (network errors, 5xx, 429)', { min: 1, max: 10 }, { default: 3 }),
};

export function crawlerFrom(config: SettingsOf<typeof crawlerSettings>, log?: Logger): CrawlerClient {
  return new CrawlerClient(
    {
      endpoint: config.crawlerEndpoint,
      key: config.crawlerKey,
      timeoutMs: config.crawlerTimeoutSeconds * 1000,
      attempts: config.crawlerAttempts,
      pageSize: config.crawlerPageSize,
    },
    log,
  );
}

export const bigquerySettings = {
  bigqueryProject: settings.string('BIGQUERY_PROJECT', 'Google Cloud project of the sessions table', { required: 'for zero-sessions', example: 'my-project' }),
  bigqueryDataset: settings.string('BIGQUERY_DATASET', 'dataset of the sessions table', { required: 'for zero-sessions', example: 'analytics' }),
  bigqueryTable: settings.string('BIGQUERY_TABLE', 'table with page_url, session_date and sessions columns', { default: 'page_sessions' }),
  bigqueryEndpoint: settings.url('BIGQUERY_API_ENDPOINT', 'BigQuery endpoint (unset: Google; the sandbox sets its own)'),
  bigqueryLocation: settings.string('BIGQUERY_LOCATION', 'location of the dataset (US, EU, …)'),
  credentials: settings.string('GOOGLE_APPLICATION_CREDENTIALS', 'Google credentials file (service account or external_account) for BigQuery'),
  bigqueryTimeoutSeconds: settings.number('BIGQUERY_TIMEOUT_SECONDS', 'longest wait for one query', { min: 1, max: 3600 }, { default: 120 }),
};

export function bigqueryFrom(config: SettingsOf<typeof bigquerySettings>): BigQuerySessions {
  return new BigQuerySessions({
    projectId: config.bigqueryProject,
    dataset: config.bigqueryDataset,
    table: config.bigqueryTable,
    apiEndpoint: config.bigqueryEndpoint,
    location: config.bigqueryLocation,
    // Passed, not left to the client's own look at process.env: settings may come from elsewhere (ops demo).
    keyFilename: config.credentials,
    timeoutMs: config.bigqueryTimeoutSeconds * 1000,
  });
}

export const scrapingbeeSettings = {
  scrapingbeeKey: settings.secret('SCRAPINGBEE_API_KEY', 'ScrapingBee API key', { required: 'for catalogue' }),
  scrapingbeeUrl: settings.url('SCRAPINGBEE_API_URL', 'ScrapingBee API URL', { default: 'https://app.scrapingbee.com/api/v1/' }),
  scrapingbeeTimeoutSeconds: settings.number('SCRAPINGBEE_TIMEOUT_SECONDS', 'timeout of one page fetch', { min: 1, max: 300 }, { default: 60 }),
  scrapingbeeAttempts: settings.int('SCRAPINGBEE_ATTEMPTS', 'attempts per fetch (network errors, 429 too many at once)', { min: 1, max: 10 }, { default: 3 }),
};

export function scrapingbeeFrom(config: SettingsOf<typeof scrapingbeeSettings>, log?: Logger): ScrapingBeeClient {
  return new ScrapingBeeClient(
    {
      // URL settings lose their trailing slash; ScrapingBee documents its endpoint with one.
      apiUrl: `${config.scrapingbeeUrl}/`,
      apiKey: config.scrapingbeeKey,
      timeoutMs: config.scrapingbeeTimeoutSeconds * 1000,
      attempts: config.scrapingbeeAttempts,
    },
    log,
  );
}
