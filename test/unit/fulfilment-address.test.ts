import { describe, expect, it } from "vitest";
import { COUNTRIES, normaliseAddress, type ShippingAddressInput } from "../../src/fulfilment/address";

const base = { name: "Ada Lovelace", line1: "12 Example Street", city: "Somewhere" };
const ok = (input: Partial<ShippingAddressInput> & { country: string }) => {
  const result = normaliseAddress({ ...base, ...input });
  if ("errors" in result) throw new Error(JSON.stringify(result.errors));
  return result.address;
};
const refused = (input: Partial<ShippingAddressInput> & { country: string }) => {
  const result = normaliseAddress({ ...base, ...input });
  return "errors" in result ? result.errors.map((e) => e.path) : [];
};

describe("shipping address: countries", () => {
  it("knows every ISO 3166-1 alpha-2 code (249) and nothing else", () => {
    expect(COUNTRIES.size).toBe(249);
    for (const code of ["GB", "US", "HK", "AE", "AQ", "ZW"]) expect(COUNTRIES.has(code)).toBe(true);
    for (const code of ["UK", "EU", "XX", "ZZ", "gb"]) expect(COUNTRIES.has(code)).toBe(false);
  });

  it.each(["UK", "XX", "USA", "", "G"])("refuses the unknown country %j", (country) => {
    expect(refused({ country, postal_code: "12345" })).toEqual(["/shipping_address/country"]);
  });

  it("upper-cases and trims the country", () => {
    expect(ok({ country: " gb ", postal_code: "sw1a1aa" }).country).toBe("GB");
  });
});

describe("shipping address: postal codes per country", () => {
  it.each([
    ["US", "94103", "CA", "94103"],
    ["US", "94103-1234", "CA", "94103-1234"],
    ["US", "941031234", "CA", "94103-1234"],
    ["CA", "k1a0b1", "ON", "K1A 0B1"],
    ["GB", "sw1a1aa", undefined, "SW1A 1AA"],
    ["GB", "M1 1AE", undefined, "M1 1AE"],
    ["GB", "GIR 0AA", undefined, "GIR 0AA"],
    ["DE", "10115", undefined, "10115"],
    ["FR", "75008", undefined, "75008"],
    ["NL", "1012ab", undefined, "1012 AB"],
    ["AU", "2000", "NSW", "2000"],
    ["JP", "1000001", undefined, "100-0001"],
    ["IE", "d02x285", undefined, "D02 X285"],
    ["BR", "01310100", undefined, "01310-100"],
    ["IN", "110001", undefined, "110001"],
    ["ES", "28013", undefined, "28013"],
    ["IT", "00184", undefined, "00184"],
    ["SE", "11455", undefined, "114 55"],
    ["PL", "00950", undefined, "00-950"],
  ])("%s accepts %j and writes it %j", (country, postal, region, expected) => {
    expect(ok({ country, postal_code: postal, ...(region ? { region } : {}) }).postal_code).toBe(expected);
  });

  it.each([
    ["US", "9410", "CA"],
    ["US", "ABCDE", "CA"],
    ["CA", "D1A 0B1", "ON"],
    ["GB", "12345", undefined],
    ["DE", "1011", undefined],
    ["NL", "0123 AB", undefined],
    ["AU", "20000", "NSW"],
    ["JP", "100-00001", undefined],
    ["IE", "B02 X285", undefined],
    ["BR", "0131-0100", undefined],
    ["IN", "011000", undefined],
    ["ES", "53001", undefined],
    ["SE", "1145", undefined],
  ])("%s refuses the postal code %j", (country, postal, region) => {
    expect(refused({ country, postal_code: postal, ...(region ? { region } : {}) })).toEqual([
      "/shipping_address/postal_code",
    ]);
  });

  it.each(["US", "GB", "DE", "FR", "NL", "JP", "BR", "IN", "ES", "IT", "SE"])(
    "%s requires a postal code",
    (country) => {
      const region = country === "US" ? { region: "NY" } : {};
      expect(refused({ country, ...region })).toEqual(["/shipping_address/postal_code"]);
    },
  );

  it("takes an Irish address without an Eircode", () => {
    expect(ok({ country: "IE" }).postal_code).toBeNull();
  });

  it.each(["HK", "AE"])("%s has no postal codes: none is needed, and one given is refused", (country) => {
    expect(ok({ country }).postal_code).toBeNull();
    expect(refused({ country, postal_code: "00000" })).toEqual(["/shipping_address/postal_code"]);
  });

  it("takes a plausible postal code in a country without a table entry, upper-cased", () => {
    expect(ok({ country: "AR", postal_code: "c1002aaa" }).postal_code).toBe("C1002AAA");
    expect(refused({ country: "AR", postal_code: "C1002#AA" })).toEqual(["/shipping_address/postal_code"]);
  });
});

describe("shipping address: regions", () => {
  it.each([
    ["US", "10001"],
    ["CA", "K1A 0B1"],
    ["AU", "2000"],
  ])("%s requires its state or province code", (country, postal) => {
    expect(refused({ country, postal_code: postal })).toEqual(["/shipping_address/region"]);
    expect(refused({ country, postal_code: postal, region: "Nowhere" })).toEqual([
      "/shipping_address/region",
    ]);
  });

  it("upper-cases a coded region and keeps a free-text one as typed", () => {
    expect(ok({ country: "US", postal_code: "10001", region: " ny " }).region).toBe("NY");
    expect(ok({ country: "AU", postal_code: "3000", region: "vic" }).region).toBe("VIC");
    expect(ok({ country: "GB", postal_code: "M1 1AE", region: "Greater Manchester" }).region).toBe(
      "Greater Manchester",
    );
  });
});

describe("shipping address: fields", () => {
  it("trims every field and drops an empty optional one", () => {
    const address = ok({
      name: "  Ada  ",
      line1: " 1 Road ",
      line2: "   ",
      city: " Leeds ",
      country: "GB",
      postal_code: "LS1 1AA",
    });
    expect(address).toEqual({
      name: "Ada",
      line1: "1 Road",
      line2: null,
      city: "Leeds",
      region: null,
      postal_code: "LS1 1AA",
      country: "GB",
    });
  });

  it.each([
    ["name", "Ada\u0000"],
    ["line1", "1 Road\nDROP TABLE"],
    ["line2", "Flat\u001b[31m 2"],
    ["city", "Leeds\u2028"],
    ["name", "\u202eadA"],
    ["city", "Le\u007feds"],
  ])("refuses a control character in %s", (field, value) => {
    expect(refused({ country: "GB", postal_code: "LS1 1AA", [field]: value })).toEqual([
      `/shipping_address/${field}`,
    ]);
  });

  it.each([
    ["name", 101],
    ["line1", 201],
    ["line2", 201],
    ["city", 101],
    ["region", 101],
  ])("bounds %s to its length", (field, length) => {
    expect(refused({ country: "GB", postal_code: "LS1 1AA", [field]: "x".repeat(length) })).toEqual([
      `/shipping_address/${field}`,
    ]);
  });

  it("requires a name, a first line and a city, and says so for each at once", () => {
    expect(refused({ name: " ", line1: "", city: "  ", country: "GB", postal_code: "LS1 1AA" })).toEqual([
      "/shipping_address/name",
      "/shipping_address/line1",
      "/shipping_address/city",
    ]);
  });

  it("keeps letters of every script", () => {
    expect(ok({ name: "山田 太郎", city: "東京", country: "JP", postal_code: "100-0001" }).name).toBe(
      "山田 太郎",
    );
  });
});
