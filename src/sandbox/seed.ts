/** Seeded, realistic data for the simulators: the same seed always gives the same world. */

/** mulberry32: a tiny, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash of a string (FNV-1a), to key decisions by name. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A reproducible draw in [0, 1) for this seed and these keys. */
export function draw(seed: number, ...keys: Array<string | number>): number {
  return prng(hash32(`${seed}|${keys.join('|')}`))();
}

export interface SimCenter {
  center_id: string;
  center_name: string;
  slug: string;
  zip_code: string;
  city: string;
  state: string;
  country: string;
  radius: number;
  owner_email: string;
  is_active: boolean;
  phone: string;
  timezone: string;
}

const CITIES: Array<[string, string, string, string]> = [
  ['Austin', 'TX', '78701', 'America/Chicago'],
  ['Boise', 'ID', '83702', 'America/Boise'],
  ['Denver', 'CO', '80202', 'America/Denver'],
  ['Portland', 'OR', '97204', 'America/Los_Angeles'],
  ['Seattle', 'WA', '98101', 'America/Los_Angeles'],
  ['Phoenix', 'AZ', '85004', 'America/Phoenix'],
  ['Nashville', 'TN', '37203', 'America/Chicago'],
  ['Raleigh', 'NC', '27601', 'America/New_York'],
  ['Tampa', 'FL', '33602', 'America/New_York'],
  ['Columbus', 'OH', '43215', 'America/New_York'],
  ['Madison', 'WI', '53703', 'America/Chicago'],
  ['Omaha', 'NE', '68102', 'America/Chicago'],
  ['Tucson', 'AZ', '85701', 'America/Phoenix'],
  ['Richmond', 'VA', '23219', 'America/New_York'],
  ['Savannah', 'GA', '31401', 'America/New_York'],
  ['Boston', 'MA', '02110', 'America/New_York'],
  ['Burlington', 'VT', '05401', 'America/New_York'],
  ['Portland', 'ME', '04101', 'America/New_York'],
  ['Chicago', 'IL', '60601', 'America/Chicago'],
  ['Minneapolis', 'MN', '55401', 'America/Chicago'],
  ['Kansas City', 'MO', '64105', 'America/Chicago'],
  ['Salt Lake City', 'UT', '84101', 'America/Denver'],
  ['Albuquerque', 'NM', '87102', 'America/Denver'],
  ['Reno', 'NV', '89501', 'America/Los_Angeles'],
  ['Sacramento', 'CA', '95814', 'America/Los_Angeles'],
  ['San Diego', 'CA', '92101', 'America/Los_Angeles'],
  ['Fresno', 'CA', '93721', 'America/Los_Angeles'],
  ['Spokane', 'WA', '99201', 'America/Los_Angeles'],
  ['Anchorage', 'AK', '99501', 'America/Anchorage'],
  ['Honolulu', 'HI', '96813', 'Pacific/Honolulu'],
  ['Charleston', 'SC', '29401', 'America/New_York'],
  ['Louisville', 'KY', '40202', 'America/New_York'],
  ['Memphis', 'TN', '38103', 'America/Chicago'],
  ['New Orleans', 'LA', '70112', 'America/Chicago'],
  ['Little Rock', 'AR', '72201', 'America/Chicago'],
  ['Tulsa', 'OK', '74103', 'America/Chicago'],
  ['Wichita', 'KS', '67202', 'America/Chicago'],
  ['Des Moines', 'IA', '50309', 'America/Chicago'],
  ['Fargo', 'ND', '58102', 'America/Chicago'],
  ['Sioux Falls', 'SD', '57104', 'America/Chicago'],
  ['Billings', 'MT', '59101', 'America/Denver'],
  ['Cheyenne', 'WY', '82001', 'America/Denver'],
  ['Pittsburgh', 'PA', '15222', 'America/New_York'],
  ['Buffalo', 'NY', '14202', 'America/New_York'],
  ['Hartford', 'CT', '06103', 'America/New_York'],
  ['Providence', 'RI', '02903', 'America/New_York'],
  ['Wilmington', 'DE', '19801', 'America/New_York'],
  ['Baltimore', 'MD', '21202', 'America/New_York'],
  ['Atlanta', 'GA', '30303', 'America/New_York'],
  ['Birmingham', 'AL', '35203', 'America/Chicago'],
  ['Jackson', 'MS', '39201', 'America/Chicago'],
  ['Orlando', 'FL', '32801', 'America/New_York'],
  ['Miami', 'FL', '33130', 'America/New_York'],
  ['El Paso', 'TX', '79901', 'America/Denver'],
  ['Dallas', 'TX', '75201', 'America/Chicago'],
  ['Houston', 'TX', '77002', 'America/Chicago'],
  ['San Antonio', 'TX', '78205', 'America/Chicago'],
  ['Indianapolis', 'IN', '46204', 'America/Indiana/Indianapolis'],
  ['Detroit', 'MI', '48226', 'America/Detroit'],
  ['Milwaukee', 'WI', '53202', 'America/Chicago'],
];

const QUARTERS = ['North', 'South', 'Downtown', 'East', 'West', 'Central'];

function slugOf(city: string, state: string): string {
  return `${city}-${state}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function seededCenters(count: number, seed = 42): SimCenter[] {
  const random = prng(seed);
  const used = new Map<string, number>();
  const centers: SimCenter[] = [];
  for (let i = 0; i < count; i++) {
    const [city, state, zip, timezone] = CITIES[i % CITIES.length];
    const base = slugOf(city, state);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const slug = n === 1 ? base : `${base}-${n}`;
    centers.push({
      center_id: `C-${1001 + i}`,
      center_name: `${city} ${QUARTERS[Math.floor(random() * QUARTERS.length)]}`,
      slug,
      zip_code: zip,
      city,
      state,
      country: 'USA',
      radius: 10 + Math.floor(random() * 41),
      owner_email: `owner+${slug}@example.com`,
      is_active: (i + 1) % 10 !== 0,
      phone: `+1-555-${String(1000 + Math.floor(random() * 9000))}`,
      timezone,
    });
  }
  return centers;
}
