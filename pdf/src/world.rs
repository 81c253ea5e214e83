//! The closed world one compile sees: the template, the invoice's data, its logo, the fonts.
//!
//! Nothing is read from disk or the network while compiling: a template that asks for any
//! other file gets "not found", and there is no clock (`today()` is `None`), so the output
//! depends on the data alone.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::fonts::Fonts;

/// The template, compiled into the binary.
const INVOICE_TEMPLATE: &str = include_str!("../templates/invoice.typ");

pub(crate) fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("a valid absolute virtual path");
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

/// File ids are interned for the life of the process; these are made once.
static TEMPLATE_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/invoice.typ"));
static DATA_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/invoice.json"));
static LOGO_PNG_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/logo.png"));
static LOGO_JPG_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/logo.jpg"));
static LOGO_SVG_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/logo.svg"));

/// The logo's format, which names the virtual file the template loads it from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogoFormat {
    Png,
    Jpg,
    Svg,
}

impl LogoFormat {
    fn id(self) -> FileId {
        match self {
            LogoFormat::Png => *LOGO_PNG_ID,
            LogoFormat::Jpg => *LOGO_JPG_ID,
            LogoFormat::Svg => *LOGO_SVG_ID,
        }
    }

    /// The path the template passes to `image()`.
    pub(crate) fn path(self) -> &'static str {
        match self {
            LogoFormat::Png => "/logo.png",
            LogoFormat::Jpg => "/logo.jpg",
            LogoFormat::Svg => "/logo.svg",
        }
    }
}

/// What lives as long as the renderer: the standard library, the fonts, the parsed template.
pub(crate) struct Resources {
    pub(crate) library: LazyHash<Library>,
    pub(crate) fonts: Fonts,
    template: Source,
}

impl Resources {
    pub(crate) fn new(fonts: Fonts) -> Self {
        Resources {
            library: LazyHash::new(Library::default()),
            fonts,
            template: Source::new(*TEMPLATE_ID, INVOICE_TEMPLATE.to_string()),
        }
    }
}

/// One compile's world.
pub(crate) struct InvoiceWorld<'a> {
    resources: &'a Resources,
    data: Bytes,
    logo: Option<(LogoFormat, Bytes)>,
}

impl<'a> InvoiceWorld<'a> {
    pub(crate) fn new(
        resources: &'a Resources,
        data: Bytes,
        logo: Option<(LogoFormat, Bytes)>,
    ) -> Self {
        InvoiceWorld {
            resources,
            data,
            logo,
        }
    }
}

impl World for InvoiceWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.resources.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.resources.fonts.book()
    }

    fn main(&self) -> FileId {
        *TEMPLATE_ID
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *TEMPLATE_ID {
            Ok(self.resources.template.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA_ID {
            return Ok(self.data.clone());
        }
        if id == *TEMPLATE_ID {
            return Ok(Bytes::from_string(INVOICE_TEMPLATE));
        }
        match &self.logo {
            Some((format, bytes)) if format.id() == id => Ok(bytes.clone()),
            _ => Err(not_found(id)),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.resources.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

pub(crate) fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_without_slash().into())
}
