// The catalogue's words in the UI's language: category names, attribute labels and listed
// values as the category's translation gives them (what it leaves out reads as written).
import type { Category } from "./generated/schema";
import { lang } from "./i18n";

/** What the categories say in the UI's language. */
export interface Words {
  category(id: string | null | undefined, written: string): string;
  label(categoryId: string | null | undefined, key: string, written: string): string;
  value(categoryId: string | null | undefined, key: string, value: string): string;
}

export function wordsOf(categories: Category[]): Words {
  const zh = lang.get() === "zh";
  const translation = (c: Category | undefined) => c?.translations?.find((t) => t.language === "ZH");
  const byId = new Map(categories.map((c) => [c.id, c]));
  // Without a category (a search across the catalogue), any category that has the key speaks for it.
  const candidates = (id: string | null | undefined) => {
    const own = id ? byId.get(id) : undefined;
    return own ? [own, ...categories] : categories;
  };
  return {
    category: (id, written) => (zh && id ? (translation(byId.get(id))?.name ?? written) : written),
    label: (id, key, written) => {
      if (!zh) return written;
      for (const c of candidates(id)) {
        const found = translation(c)?.labels.find((l) => l.key === key);
        if (found) return found.text;
      }
      return written;
    },
    value: (id, key, value) => {
      if (!zh) return value;
      for (const c of candidates(id)) {
        const found = translation(c)?.values.find((v) => v.key === key && v.value === value);
        if (found) return found.text;
      }
      return value;
    },
  };
}
