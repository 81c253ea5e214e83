//! The fonts invoices are set in, loaded once per process.
//!
//! Latin, Greek and Cyrillic text, `€` and `₹` come from the fonts compiled into typst
//! (`typst-kit`'s embedded Libertinus Serif and New Computer Modern), so every machine renders
//! them the same. Those fonts have no Chinese, Japanese or Korean glyphs: CJK faces are read
//! from disk, from the directories Debian's `fonts-noto-cjk` and `fonts-wqy-microhei` install
//! into (or any the caller names). Without them the PDF still renders, CJK characters come out
//! as empty boxes, and [`Fonts::missing`] says so.
//!
//! Only the fonts' metadata is read at start-up; a face's bytes are read the first time a
//! document uses it and kept for the life of the [`Fonts`].

use std::path::{Path, PathBuf};

use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst_kit::fonts::{self, FontStore};

/// The text font for everything the embedded fonts can set.
pub(crate) const TEXT_FAMILY: &str = "Libertinus Serif";

/// Where Debian puts the CJK fonts `atrium-pdf` knows, in order of preference.
pub const DEFAULT_CJK_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/wqy",
];

/// CJK families in order of preference, as the packages above name them. Simplified Chinese
/// first: its faces also cover kana and hangul.
const CJK_FAMILIES: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Noto Sans CJK TC",
    "Noto Serif CJK SC",
    "WenQuanYi Micro Hei",
];

/// The font book and faces typst sets invoices with. Build it once per process and hand it
/// to [`Renderer::new`](crate::Renderer::new).
pub struct Fonts {
    store: FontStore,
    cjk_family: Option<&'static str>,
    searched: Vec<PathBuf>,
}

impl Fonts {
    /// The embedded fonts plus the CJK fonts found in [`DEFAULT_CJK_DIRS`].
    pub fn load() -> Self {
        Self::with_dirs(DEFAULT_CJK_DIRS.iter().map(Path::new))
    }

    /// The embedded fonts plus every font found (recursively) in `dirs`; directories that do
    /// not exist are skipped.
    pub fn with_dirs<P: AsRef<Path>>(dirs: impl IntoIterator<Item = P>) -> Self {
        let mut store = FontStore::new();
        store.extend(fonts::embedded());
        let mut searched = Vec::new();
        for dir in dirs {
            let dir = dir.as_ref();
            searched.push(dir.to_path_buf());
            if dir.is_dir() {
                store.extend(fonts::scan(dir));
            }
        }
        let cjk_family = CJK_FAMILIES
            .iter()
            .copied()
            .find(|family| store.book().contains_family(&family.to_lowercase()));
        Fonts {
            store,
            cjk_family,
            searched,
        }
    }

    /// Only the fonts compiled into typst: no CJK glyphs.
    pub fn embedded_only() -> Self {
        Self::with_dirs(std::iter::empty::<&Path>())
    }

    /// The CJK family in use, if one was found.
    pub fn cjk_family(&self) -> Option<&'static str> {
        self.cjk_family
    }

    /// What these fonts cannot set, in words for a log line or a health check; `None` when
    /// nothing is missing.
    pub fn missing(&self) -> Option<String> {
        if self.cjk_family.is_some() {
            return None;
        }
        let searched: Vec<String> = self
            .searched
            .iter()
            .map(|dir| dir.display().to_string())
            .collect();
        Some(format!(
            "no CJK font found (searched: {}): Chinese, Japanese and Korean text in invoices \
             will print as empty boxes; install Debian's fonts-noto-cjk or fonts-wqy-microhei",
            if searched.is_empty() {
                "nothing".to_string()
            } else {
                searched.join(", ")
            }
        ))
    }

    /// The families a document's text is set in, in fallback order.
    pub(crate) fn text_families(&self) -> Vec<&'static str> {
        let mut families = vec![TEXT_FAMILY];
        families.extend(self.cjk_family);
        families
    }

    pub(crate) fn book(&self) -> &LazyHash<FontBook> {
        self.store.book()
    }

    pub(crate) fn font(&self, index: usize) -> Option<Font> {
        self.store.font(index)
    }

    /// How many faces are known (embedded and found on disk).
    pub fn len(&self) -> usize {
        self.store
            .book()
            .families()
            .map(|(_, infos)| infos.count())
            .sum()
    }

    /// Never true: the embedded fonts are always there.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("faces", &self.len())
            .field("cjk_family", &self.cjk_family)
            .finish()
    }
}
