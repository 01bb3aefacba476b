/**
 * One seeded world of landing pages shared by the Airtable, crawler, BigQuery
 * and ScrapingBee simulators, so that the URLs they name agree (each written
 * the way that system writes it: Airtable's with the odd capital host,
 * trailing slash or fragment).
 */
import { prng } from './seed.js';

export type FetchOutcome = 200 | 301 | 302 | 404 | 500;

export interface SimPage {
  /** The canonical URL (what ScrapingBee is asked for, after normalisation). */
  url: string;
  /** How the URL is written in Airtable. */
  airtableUrl: string;
  recordId: string;
  pageStatus: 'Active' | 'Paused';
  fetch: FetchOutcome;
  /** ScrapingBee takes this long for it. */
  slow: boolean;
  sessions: number;
  /** Hours ago the crawler last saw it change (undefined: not in its recent list). */
  crawlerUpdatedHoursAgo?: number;
  title: string;
  kind: 'product' | 'service' | 'location' | 'category';
  city: string;
}

const CITIES = ['Austin', 'Boise', 'Denver', 'Portland', 'Raleigh', 'Tucson', 'Madison', 'Omaha'];
const OFFERS: Array<[SimPage['kind'], string]> = [
  ['service', 'Deep Tissue Massage'],
  ['product', 'Gift Card'],
  ['service', 'Facial Treatment'],
  ['location', 'Spa Location'],
  ['category', 'Wellness Packages'],
  ['service', 'Couples Massage'],
  ['product', 'Aromatherapy Oil Set'],
];

function writtenForAirtable(url: string, i: number): string {
  switch (i % 5) {
    case 1:
      return `${url}/`;
    case 2:
      return url.replace('https://shop.example.com', 'HTTPS://Shop.Example.COM');
    case 3:
      return `${url}#book-now`;
    case 4:
      return url.replace('https://shop.example.com', 'https://shop.example.com:443');
    default:
      return url;
  }
}

function fetchOutcome(i: number): FetchOutcome {
  if (i % 10 === 7) return 301;
  if (i % 10 === 8) return 302;
  if (i % 10 === 9) return 404;
  if (i % 13 === 5) return 500;
  return 200;
}

export function seededPages(count: number, seed = 11): SimPage[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const [kind, offer] = OFFERS[i % OFFERS.length];
    const city = CITIES[i % CITIES.length];
    const slug = `${offer}-${city}-${i + 1}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const url = `https://shop.example.com/${kind === 'location' ? 'locations' : 'p'}/${slug}`;
    return {
      url,
      airtableUrl: writtenForAirtable(url, i),
      recordId: `rec${String(i + 1).padStart(5, '0')}Sim${seed}`,
      pageStatus: i % 7 === 6 ? 'Paused' : 'Active',
      fetch: fetchOutcome(i),
      slow: i % 11 === 10,
      sessions: i % 4 === 3 ? 0 : 1 + Math.floor(random() * 500),
      crawlerUpdatedHoursAgo: i % 5 === 0 ? 1 + (i % 20) : undefined,
      title: `${offer} in ${city}`,
      kind,
      city,
    };
  });
}
