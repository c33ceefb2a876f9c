import countryToCurrency from "country-to-currency";

/**
 * A country's everyday currency (ISO 3166-1 alpha-2 → ISO 4217), from the country-to-currency package:
 * a maintained table, so the mapping is not ours to keep current.
 */
export function currencyOfCountry(country: string): string | undefined {
  return (countryToCurrency as Record<string, string | undefined>)[country];
}

export const isKnownCountry = (country: string): boolean => currencyOfCountry(country) !== undefined;
