import Foundation

/// Realistic raw mails for `MailParserTests`, as the sales offices receive them. Raw 8-bit bodies
/// were encoded with Python's codecs, independently of the parser's own charset tables.
enum MailFixtures {
    /// An SMTP-delivered mail: every line break CRLF.
    static func crlf(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    /// The same text with bare LF line endings, as mail saved by Unix tools arrives.
    static func lf(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\r\n", with: "\n").utf8)
    }

    // MARK: Russia

    /// The Bat! mail from a Yekaterinburg customer: 8-bit windows-1251 body, KOI8-R encoded words.
    static let russianWindows1251: [UInt8] = crlf("""
        Return-Path: <ivan.petrov@uralmash-service.ru>
        Received: from mx.uralmash-service.ru (mx.uralmash-service.ru [195.19.33.10])
        \tby mx.manufacturer.ru with ESMTPS id 4TqL2x0Wz1
        \tfor <sales@manufacturer.ru>; Tue, 05 Mar 2024 10:15:03 +0300 (MSK)
        From: =?koi8-r?Q?=E9=D7=C1=CE_=F0=C5=D4=D2=CF=D7?= <Ivan.Petrov@Uralmash-Service.RU>
        To: sales@manufacturer.ru
        Subject: =?KOI8-R?B?+sHQ0s/TINPeo9TBIM7B?=
         =?KOI8-R?B?INPUwc7LySD09y0zMjA=?=
        Date: Tue, 5 Mar 2024 10:15:00 +0300 (MSK)
        Message-ID: <20240305101500.4F2A1@uralmash-service.ru>
        X-Mailer: The Bat! (v10.5.3) Professional
        MIME-Version: 1.0
        Content-Type: text/plain; charset="windows-1251"
        Content-Transfer-Encoding: 8bit


        """) + russianWindows1251Body

    /// "Добрый день!\nПрошу выставить счёт …" in windows-1251, CRLF.
    static let russianWindows1251Body: [UInt8] = [
        0xC4, 0xEE, 0xE1, 0xF0, 0xFB, 0xE9, 0x20, 0xE4, 0xE5, 0xED, 0xFC, 0x21, 0x0D, 0x0A, 0xCF, 0xF0,
        0xEE, 0xF8, 0xF3, 0x20, 0xE2, 0xFB, 0xF1, 0xF2, 0xE0, 0xE2, 0xE8, 0xF2, 0xFC, 0x20, 0xF1, 0xF7,
        0xB8, 0xF2, 0x20, 0xED, 0xE0, 0x20, 0xF2, 0xEE, 0xEA, 0xE0, 0xF0, 0xED, 0xFB, 0xE9, 0x20, 0xF1,
        0xF2, 0xE0, 0xED, 0xEE, 0xEA, 0x20, 0xD2, 0xC2, 0x2D, 0x33, 0x32, 0x30, 0x20, 0x28, 0x32, 0x20,
        0xF8, 0xF2, 0x2E, 0x29, 0x20, 0xE8, 0x20, 0xAB, 0xCF, 0xE0, 0xF1, 0xEF, 0xEE, 0xF0, 0xF2, 0x20,
        0xE8, 0xE7, 0xE4, 0xE5, 0xEB, 0xE8, 0xFF, 0xBB, 0x2E, 0x0D, 0x0A, 0xC4, 0xEE, 0xE3, 0xEE, 0xE2,
        0xEE, 0xF0, 0x20, 0xB9, 0x20, 0x31, 0x37, 0x2F, 0x32, 0x34, 0x20, 0xEE, 0xF2, 0x20, 0x30, 0x31,
        0x2E, 0x30, 0x33, 0x2E, 0x32, 0x30, 0x32, 0x34, 0x2E, 0x0D, 0x0A, 0x0D, 0x0A, 0xD1, 0x20, 0xF3,
        0xE2, 0xE0, 0xE6, 0xE5, 0xED, 0xE8, 0xE5, 0xEC, 0x2C, 0x0D, 0x0A, 0xC8, 0xE2, 0xE0, 0xED, 0x20,
        0xCF, 0xE5, 0xF2, 0xF0, 0xEE, 0xE2, 0x0D, 0x0A, 0xCE, 0xCE, 0xCE, 0x20, 0xAB, 0xD3, 0xF0, 0xE0,
        0xEB, 0xEC, 0xE0, 0xF8, 0x2D, 0xD1, 0xE5, 0xF0, 0xE2, 0xE8, 0xF1, 0xBB, 0x0D, 0x0A, 0xD2, 0xE5,
        0xEB, 0x2E, 0x3A, 0x20, 0x2B, 0x37, 0x20, 0x28, 0x33, 0x34, 0x33, 0x29, 0x20, 0x35, 0x35, 0x35,
        0x2D, 0x31, 0x32, 0x2D, 0x33, 0x34, 0x0D, 0x0A,
    ]

    // MARK: Spain

    /// Outlook mail from Zaragoza: ISO-8859-1, quoted-printable with soft line breaks.
    static let spanishText = """
        From: =?iso-8859-1?q?Jos=E9_Mart=EDnez?= <jmartinez@talleresmartinez.es>
        To: "Ventas Espana" <ventas@fabricante.es>
        Cc: comercial@fabricante.es (Departamento comercial)
        Subject: =?ISO-8859-1?Q?Solicitud_de_cotizaci=F3n?=
        Date: Mon, 4 Mar 2024 09:30:12 +0100
        Message-ID: <AM9PR02MB7412A1B2C3D4E5F6@AM9PR02MB7412.eurprd02.prod.outlook.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="iso-8859-1"
        Content-Transfer-Encoding: quoted-printable

        Estimados se=F1ores:

        Quisi=E9ramos recibir una cotizaci=F3n para dos compresores de tornillo mod=
        elo CT-55, con entrega en Zaragoza antes del 15 de abril. =BFPodr=EDan indi=
        carnos tambi=E9n el plazo de garant=EDa y las condiciones de pago?

        Atentamente,
        Jos=E9 Mart=EDnez Ib=E1=F1ez
        Talleres Mart=EDnez S.L. - Zaragoza
        """
    static let spanishLatin1QuotedPrintable = crlf(spanishText)

    // MARK: Brazil / Portugal

    /// A São Paulo customer's mail: multipart/alternative, 8-bit windows-1252 text and QP HTML.
    static let portugueseWindows1252: [UInt8] = crlf("""
        From: "=?windows-1252?Q?Jo=E3o_Concei=E7=E3o?=" <joao.conceicao@industriapaulista.com.br>
        To: vendas@fabricante.com.br
        Subject: =?windows-1252?Q?Cota=E7=E3o_=96_empilhadeiras?=
        Date: Wed, 06 Mar 2024 14:05:33 -0300
        Message-ID: <000c01da6f1c$5b8c1e20$12a45a60$@industriapaulista.com.br>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="----=_NextPart_000_000D_01DA6F03.3641B9A0"

        This is a multipart message in MIME format.

        ------=_NextPart_000_000D_01DA6F03.3641B9A0
        Content-Type: text/plain; charset="windows-1252"
        Content-Transfer-Encoding: 8bit


        """) + portugueseWindows1252Body + crlf("""

        ------=_NextPart_000_000D_01DA6F03.3641B9A0
        Content-Type: text/html; charset="windows-1252"
        Content-Transfer-Encoding: quoted-printable

        <html><body><p>Prezados,</p><p>Gostar&iacute;amos de uma <b>cota&ccedil;&at=
        ilde;o</b> para 3 (tr&ecirc;s) empilhadeiras el&eacute;tricas &ndash; model=
        o EL-25.</p><p>Atenciosamente,<br>Jo=E3o Concei=E7=E3o</p></body></html>
        ------=_NextPart_000_000D_01DA6F03.3641B9A0--

        """)

    /// "Prezados, … cotação … “garantia estendida” … €" in windows-1252, CRLF.
    static let portugueseWindows1252Body: [UInt8] = [
        0x50, 0x72, 0x65, 0x7A, 0x61, 0x64, 0x6F, 0x73, 0x2C, 0x0D, 0x0A, 0x0D, 0x0A, 0x47, 0x6F, 0x73,
        0x74, 0x61, 0x72, 0xED, 0x61, 0x6D, 0x6F, 0x73, 0x20, 0x64, 0x65, 0x20, 0x75, 0x6D, 0x61, 0x20,
        0x63, 0x6F, 0x74, 0x61, 0xE7, 0xE3, 0x6F, 0x20, 0x70, 0x61, 0x72, 0x61, 0x20, 0x33, 0x20, 0x28,
        0x74, 0x72, 0xEA, 0x73, 0x29, 0x20, 0x65, 0x6D, 0x70, 0x69, 0x6C, 0x68, 0x61, 0x64, 0x65, 0x69,
        0x72, 0x61, 0x73, 0x20, 0x65, 0x6C, 0xE9, 0x74, 0x72, 0x69, 0x63, 0x61, 0x73, 0x20, 0x96, 0x20,
        0x6D, 0x6F, 0x64, 0x65, 0x6C, 0x6F, 0x20, 0x45, 0x4C, 0x2D, 0x32, 0x35, 0x20, 0x96, 0x20, 0x63,
        0x6F, 0x6D, 0x20, 0x93, 0x67, 0x61, 0x72, 0x61, 0x6E, 0x74, 0x69, 0x61, 0x20, 0x65, 0x73, 0x74,
        0x65, 0x6E, 0x64, 0x69, 0x64, 0x61, 0x94, 0x2E, 0x0D, 0x0A, 0x56, 0x61, 0x6C, 0x6F, 0x72, 0x20,
        0x65, 0x73, 0x74, 0x69, 0x6D, 0x61, 0x64, 0x6F, 0x3A, 0x20, 0x80, 0x20, 0x34, 0x38, 0x2E, 0x30,
        0x30, 0x30, 0x20, 0x6F, 0x75, 0x20, 0x52, 0x24, 0x20, 0x32, 0x39, 0x30, 0x2E, 0x30, 0x30, 0x30,
        0x2C, 0x30, 0x30, 0x2E, 0x0D, 0x0A, 0x0D, 0x0A, 0x41, 0x74, 0x65, 0x6E, 0x63, 0x69, 0x6F, 0x73,
        0x61, 0x6D, 0x65, 0x6E, 0x74, 0x65, 0x2C, 0x0D, 0x0A, 0x4A, 0x6F, 0xE3, 0x6F, 0x20, 0x43, 0x6F,
        0x6E, 0x63, 0x65, 0x69, 0xE7, 0xE3, 0x6F, 0x0D, 0x0A, 0x49, 0x6E, 0x64, 0xFA, 0x73, 0x74, 0x72,
        0x69, 0x61, 0x20, 0x50, 0x61, 0x75, 0x6C, 0x69, 0x73, 0x74, 0x61, 0x20, 0x4C, 0x74, 0x64, 0x61,
        0x2E, 0x0D, 0x0A,
    ]

    // MARK: UTF-8

    /// A Novosibirsk supplier's request: UTF-8 text in base64 broken at 76 columns.
    static let utf8Base64: [UInt8] = crlf("""
        From: "=?UTF-8?B?0J7RgtC00LXQuyDRgdC90LDQsdC20LXQvdC40Y8=?=" <snab@sibmash.ru>
        To: "=?UTF-8?B?0J/RgNC+0LTQsNC20Lg=?=" <sales@manufacturer.ru>
        Subject: =?UTF-8?B?0JfQsNGP0LLQutCwINC90LAg0LfQsNC/0YfQsNGB0YLQuCDihJY1OA==?=
        Date: Thu, 7 Mar 2024 08:00:00 +0700
        Message-ID: <1709773200.218764.sibmash@mail.yandex.ru>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: base64

        0JfQtNGA0LDQstGB0YLQstGD0LnRgtC1IQ0KDQrQndCw0L/RgNCw0LLQu9GP0LXQvCDQt9Cw0Y/Q
        stC60YMg0L3QsCDQv9C+0YHRgtCw0LLQutGDINC30LDQv9GH0LDRgdGC0LXQuTog0L/QvtC00YjQ
        uNC/0L3QuNC60LggNjIwNS0yUlMg4oCUIDQwINGI0YIuLCDRgNC10LzQvdC4IFNQWiAxMjUwIOKA
        lCAxMiDRiNGCLg0K0J/RgNC+0YHQuNC8INC/0L7QtNGC0LLQtdGA0LTQuNGC0Ywg0L3QsNC70LjR
        h9C40LUg0Lgg0YHRgNC+0LrQuC4g8J+amg0KDQrigJQg0J7RgtC00LXQuyDRgdC90LDQsdC20LXQ
        vdC40Y8sINCQ0J4gwqvQodC40LHQnNCw0YjCuw0K
        """)

    /// The PDF attached to `mixedWithPDF`.
    static let invoicePDF: [UInt8] = Array(Data(base64Encoded: "JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFtdIC9Db3VudCAwID4+CmVuZG9iagp0cmFpbGVyCjw8IC9Sb290IDEgMCBSID4+CiUlRU9GCg==")!)

    /// Outlook invoice: multipart/mixed holding multipart/alternative and a PDF named with RFC 2231.
    static let mixedWithPDF: [UInt8] = crlf("""
        From: Buchhaltung <Invoices@Uralmash-Service.ru>
        To: sales@manufacturer.ru
        Subject: =?utf-8?B?0KHRh9C10YIg4oSWIDE3LzI0?=
        Date: Tue, 05 Mar 2024 21:00:00 +0300
        Message-ID: <invoice-17-24@uralmash-service.ru>
        MIME-Version: 1.0
        Content-Type: multipart/mixed;
        \tboundary="----=_NextPart_000_0012_01DA6F1C.5B8C1E20"

        This is a multi-part message in MIME format.

        ------=_NextPart_000_0012_01DA6F1C.5B8C1E20
        Content-Type: multipart/alternative;
        \tboundary="----=_NextPart_001_0013_01DA6F1C.5B8C1E20"


        ------=_NextPart_001_0013_01DA6F1C.5B8C1E20
        Content-Type: text/plain;
        \tcharset="utf-8"
        Content-Transfer-Encoding: 8bit

        Добрый день!
        Счёт № 17/24 во вложении.
        ------=_NextPart_001_0013_01DA6F1C.5B8C1E20
        Content-Type: text/html;
        \tcharset="utf-8"
        Content-Transfer-Encoding: quoted-printable

        <html><body><p>=D0=94=D0=BE=D0=B1=D1=80=D1=8B=D0=B9 =D0=B4=D0=B5=D0=BD=
        =D1=8C!</p><p>=D0=A1=D1=87=D1=91=D1=82 &#8470; 17/24 =D0=B2=D0=BE =D0=B2=
        =D0=BB=D0=BE=D0=B6=D0=B5=D0=BD=D0=B8=D0=B8.</p></body></html>
        ------=_NextPart_001_0013_01DA6F1C.5B8C1E20--

        ------=_NextPart_000_0012_01DA6F1C.5B8C1E20
        Content-Type: application/pdf;
        \tname="=?utf-8?B?0KHRh9C10YIucGRm?="
        Content-Transfer-Encoding: base64
        Content-Disposition: attachment;
        \tfilename*=UTF-8''%D0%A1%D1%87%D0%B5%D1%82.pdf

        JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4K
        ZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFtdIC9Db3VudCAwID4+CmVuZG9i
        agp0cmFpbGVyCjw8IC9Sb290IDEgMCBSID4+CiUlRU9GCg==

        ------=_NextPart_000_0012_01DA6F1C.5B8C1E20--

        """)

    // MARK: HTML only

    /// A Brazilian purchase order sent as HTML only (no text/plain alternative).
    static let htmlOnly: [UInt8] = crlf("""
        From: compras@distribuidora-sul.com.br
        To: vendas@fabricante.com.br
        Subject: Pedido 4512
        Date: Fri, 8 Mar 2024 10:00:00 -0300
        Message-ID: <pedido-4512@distribuidora-sul.com.br>
        MIME-Version: 1.0
        Content-Type: text/html; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        <!DOCTYPE html><html><head><meta charset=3D"utf-8"><title>Pedido</title>
        <style>p { color: red; }</style><script>var x =3D "<p>oculto</p>";</script>=
        </head>
        <body><!-- cabe=C3=A7alho --><p>Ol&aacute;, equipe!</p><p>Segue o pedido n&ordm=
        ; 4512:</p><table><tr><td>Produto</td><td>Qtd</td></tr><tr><td>Bomba &quot;=
        HX-7&quot;</td><td>2</td></tr></table><div>Pre&ccedil;o total: R$&nbsp;12.=
        500,00 &amp; frete&nbsp;&lt;incluso&gt;</div><ul><li>Entrega: S&atilde;o =
        Paulo</li><li>Prazo: 30&#160;dias</li></ul><br><br><br><br>Obrigado,<br>
        Jo&atilde;o &#x2014; Compras</body></html>
        """)

    // MARK: Chat and web forms

    /// A JivoSite chat transcript forwarded by mail: UTF-8 quoted-printable plain text.
    static let jivoSiteTranscript: [UInt8] = crlf("""
        From: JivoSite <noreply@jivosite.com>
        Reply-To: alexey.smirnov@mail.ru
        To: sales@manufacturer.ru
        Subject: =?utf-8?B?0J3QvtCy0L7QtSDRgdC+0L7QsdGJ0LXQvdC40LUg0LjQtyDRh9Cw0YLQsDog0JDQu9C10LrRgdC10Lk=?=
        Date: Tue, 05 Mar 2024 07:03:06 +0000
        Message-ID: <chat.1709622186.88213@jivosite.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=UTF-8
        Content-Transfer-Encoding: quoted-printable

        =D0=94=D0=B8=D0=B0=D0=BB=D0=BE=D0=B3 =D1=81 =D0=BF=D0=BE=D1=81=D0=B5=D1=82=
        =D0=B8=D1=82=D0=B5=D0=BB=D0=B5=D0=BC =D1=81=D0=B0=D0=B9=D1=82=D0=B0
        =D0=A1=D1=82=D1=80=D0=B0=D0=BD=D0=B8=D1=86=D0=B0: https://manufacturer.ru/c=
        atalog/stanki/tv-320

        =D0=98=D0=BC=D1=8F: =D0=90=D0=BB=D0=B5=D0=BA=D1=81=D0=B5=D0=B9
        E-mail: alexey.smirnov@mail.ru
        =D0=A2=D0=B5=D0=BB=D0=B5=D1=84=D0=BE=D0=BD: +7 912 345-67-89
        =D0=93=D0=BE=D1=80=D0=BE=D0=B4: =D0=95=D0=BA=D0=B0=D1=82=D0=B5=D1=80=D0=B8=
        =D0=BD=D0=B1=D1=83=D1=80=D0=B3

        [10:02:11] =D0=90=D0=BB=D0=B5=D0=BA=D1=81=D0=B5=D0=B9: =D0=97=D0=B4=D1=80=
        =D0=B0=D0=B2=D1=81=D1=82=D0=B2=D1=83=D0=B9=D1=82=D0=B5, =D0=B5=D1=81=D1=82=
        =D1=8C =D0=BB=D0=B8 =D0=B2 =D0=BD=D0=B0=D0=BB=D0=B8=D1=87=D0=B8=D0=B8 =D0=
        =A2=D0=92-320?
        [10:02:40] =D0=9E=D0=BF=D0=B5=D1=80=D0=B0=D1=82=D0=BE=D1=80 =D0=9C=D0=B0=D1=
        =80=D0=B8=D1=8F: =D0=94=D0=BE=D0=B1=D1=80=D1=8B=D0=B9 =D0=B4=D0=B5=D0=BD=D1=
        =8C! =D0=94=D0=B0, 2 =D0=B5=D0=B4=D0=B8=D0=BD=D0=B8=D1=86=D1=8B =D0=BD=D0=
        =B0 =D1=81=D0=BA=D0=BB=D0=B0=D0=B4=D0=B5 =D0=B2 =D0=95=D0=BA=D0=B0=D1=82=D0=
        =B5=D1=80=D0=B8=D0=BD=D0=B1=D1=83=D1=80=D0=B3=D0=B5.
        [10:03:05] =D0=90=D0=BB=D0=B5=D0=BA=D1=81=D0=B5=D0=B9: =D0=9E=D1=82=D0=BB=
        =D0=B8=D1=87=D0=BD=D0=BE, =D0=BF=D1=80=D0=B8=D1=88=D0=BB=D0=B8=D1=82=D0=B5 =
        =D0=9A=D0=9F =D0=BD=D0=B0 =D0=BF=D0=BE=D1=87=D1=82=D1=83.
        """)

    /// A contact-form mail from the Brazilian website: sent from no-reply@, the customer in Reply-To.
    static let websiteForm: [UInt8] = crlf("""
        Return-Path: <no-reply@fabricante.com.br>
        From: "Site Fabricante" <no-reply@fabricante.com.br>
        Reply-To: "Ana Paula Souza" <Ana.Souza@Construtora-Horizonte.com.br>
        To: vendas@fabricante.com.br, "Gerente Regional (SP)" <gerente.sp@fabricante.com.br>
        Subject: Novo contato pelo site: =?UTF-8?Q?Or=C3=A7amento?=
        Date: Fri, 8 Mar 2024 16:42:10 -0300
        Message-ID: <form-20240308194210-7731@fabricante.com.br>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=UTF-8
        Content-Transfer-Encoding: 8bit

        Nome: Ana Paula Souza
        E-mail: ana.souza@construtora-horizonte.com.br
        Telefone: (11) 98765-4321
        Empresa: Construtora Horizonte
        Mensagem: Gostaria de um orçamento para 5 geradores a diesel de 150 kVA.
        """)

    // MARK: Charset tables

    /// Bytes 0x80–0xFF of each single-byte charset as Python's codecs decode them (U+FFFD where
    /// the charset assigns nothing); ISO-8859-1 reads 0x80–0x9F as windows-1252 on purpose.
    static let highHalves: [(label: String, expected: String)] = [
        ("windows-1251", "\u{0402}\u{0403}\u{201A}\u{0453}\u{201E}\u{2026}\u{2020}\u{2021}\u{20AC}\u{2030}\u{0409}\u{2039}\u{040A}\u{040C}\u{040B}\u{040F}\u{0452}\u{2018}\u{2019}\u{201C}\u{201D}\u{2022}\u{2013}\u{2014}\u{FFFD}\u{2122}\u{0459}\u{203A}\u{045A}\u{045C}\u{045B}\u{045F}\u{00A0}\u{040E}\u{045E}\u{0408}\u{00A4}\u{0490}\u{00A6}\u{00A7}\u{0401}\u{00A9}\u{0404}\u{00AB}\u{00AC}\u{00AD}\u{00AE}\u{0407}\u{00B0}\u{00B1}\u{0406}\u{0456}\u{0491}\u{00B5}\u{00B6}\u{00B7}\u{0451}\u{2116}\u{0454}\u{00BB}\u{0458}\u{0405}\u{0455}\u{0457}\u{0410}\u{0411}\u{0412}\u{0413}\u{0414}\u{0415}\u{0416}\u{0417}\u{0418}\u{0419}\u{041A}\u{041B}\u{041C}\u{041D}\u{041E}\u{041F}\u{0420}\u{0421}\u{0422}\u{0423}\u{0424}\u{0425}\u{0426}\u{0427}\u{0428}\u{0429}\u{042A}\u{042B}\u{042C}\u{042D}\u{042E}\u{042F}\u{0430}\u{0431}\u{0432}\u{0433}\u{0434}\u{0435}\u{0436}\u{0437}\u{0438}\u{0439}\u{043A}\u{043B}\u{043C}\u{043D}\u{043E}\u{043F}\u{0440}\u{0441}\u{0442}\u{0443}\u{0444}\u{0445}\u{0446}\u{0447}\u{0448}\u{0449}\u{044A}\u{044B}\u{044C}\u{044D}\u{044E}\u{044F}"),
        ("koi8-r", "\u{2500}\u{2502}\u{250C}\u{2510}\u{2514}\u{2518}\u{251C}\u{2524}\u{252C}\u{2534}\u{253C}\u{2580}\u{2584}\u{2588}\u{258C}\u{2590}\u{2591}\u{2592}\u{2593}\u{2320}\u{25A0}\u{2219}\u{221A}\u{2248}\u{2264}\u{2265}\u{00A0}\u{2321}\u{00B0}\u{00B2}\u{00B7}\u{00F7}\u{2550}\u{2551}\u{2552}\u{0451}\u{2553}\u{2554}\u{2555}\u{2556}\u{2557}\u{2558}\u{2559}\u{255A}\u{255B}\u{255C}\u{255D}\u{255E}\u{255F}\u{2560}\u{2561}\u{0401}\u{2562}\u{2563}\u{2564}\u{2565}\u{2566}\u{2567}\u{2568}\u{2569}\u{256A}\u{256B}\u{256C}\u{00A9}\u{044E}\u{0430}\u{0431}\u{0446}\u{0434}\u{0435}\u{0444}\u{0433}\u{0445}\u{0438}\u{0439}\u{043A}\u{043B}\u{043C}\u{043D}\u{043E}\u{043F}\u{044F}\u{0440}\u{0441}\u{0442}\u{0443}\u{0436}\u{0432}\u{044C}\u{044B}\u{0437}\u{0448}\u{044D}\u{0449}\u{0447}\u{044A}\u{042E}\u{0410}\u{0411}\u{0426}\u{0414}\u{0415}\u{0424}\u{0413}\u{0425}\u{0418}\u{0419}\u{041A}\u{041B}\u{041C}\u{041D}\u{041E}\u{041F}\u{042F}\u{0420}\u{0421}\u{0422}\u{0423}\u{0416}\u{0412}\u{042C}\u{042B}\u{0417}\u{0428}\u{042D}\u{0429}\u{0427}\u{042A}"),
        ("windows-1252", "\u{20AC}\u{FFFD}\u{201A}\u{0192}\u{201E}\u{2026}\u{2020}\u{2021}\u{02C6}\u{2030}\u{0160}\u{2039}\u{0152}\u{FFFD}\u{017D}\u{FFFD}\u{FFFD}\u{2018}\u{2019}\u{201C}\u{201D}\u{2022}\u{2013}\u{2014}\u{02DC}\u{2122}\u{0161}\u{203A}\u{0153}\u{FFFD}\u{017E}\u{0178}\u{00A0}\u{00A1}\u{00A2}\u{00A3}\u{00A4}\u{00A5}\u{00A6}\u{00A7}\u{00A8}\u{00A9}\u{00AA}\u{00AB}\u{00AC}\u{00AD}\u{00AE}\u{00AF}\u{00B0}\u{00B1}\u{00B2}\u{00B3}\u{00B4}\u{00B5}\u{00B6}\u{00B7}\u{00B8}\u{00B9}\u{00BA}\u{00BB}\u{00BC}\u{00BD}\u{00BE}\u{00BF}\u{00C0}\u{00C1}\u{00C2}\u{00C3}\u{00C4}\u{00C5}\u{00C6}\u{00C7}\u{00C8}\u{00C9}\u{00CA}\u{00CB}\u{00CC}\u{00CD}\u{00CE}\u{00CF}\u{00D0}\u{00D1}\u{00D2}\u{00D3}\u{00D4}\u{00D5}\u{00D6}\u{00D7}\u{00D8}\u{00D9}\u{00DA}\u{00DB}\u{00DC}\u{00DD}\u{00DE}\u{00DF}\u{00E0}\u{00E1}\u{00E2}\u{00E3}\u{00E4}\u{00E5}\u{00E6}\u{00E7}\u{00E8}\u{00E9}\u{00EA}\u{00EB}\u{00EC}\u{00ED}\u{00EE}\u{00EF}\u{00F0}\u{00F1}\u{00F2}\u{00F3}\u{00F4}\u{00F5}\u{00F6}\u{00F7}\u{00F8}\u{00F9}\u{00FA}\u{00FB}\u{00FC}\u{00FD}\u{00FE}\u{00FF}"),
        ("iso-8859-15", "\u{0080}\u{0081}\u{0082}\u{0083}\u{0084}\u{0085}\u{0086}\u{0087}\u{0088}\u{0089}\u{008A}\u{008B}\u{008C}\u{008D}\u{008E}\u{008F}\u{0090}\u{0091}\u{0092}\u{0093}\u{0094}\u{0095}\u{0096}\u{0097}\u{0098}\u{0099}\u{009A}\u{009B}\u{009C}\u{009D}\u{009E}\u{009F}\u{00A0}\u{00A1}\u{00A2}\u{00A3}\u{20AC}\u{00A5}\u{0160}\u{00A7}\u{0161}\u{00A9}\u{00AA}\u{00AB}\u{00AC}\u{00AD}\u{00AE}\u{00AF}\u{00B0}\u{00B1}\u{00B2}\u{00B3}\u{017D}\u{00B5}\u{00B6}\u{00B7}\u{017E}\u{00B9}\u{00BA}\u{00BB}\u{0152}\u{0153}\u{0178}\u{00BF}\u{00C0}\u{00C1}\u{00C2}\u{00C3}\u{00C4}\u{00C5}\u{00C6}\u{00C7}\u{00C8}\u{00C9}\u{00CA}\u{00CB}\u{00CC}\u{00CD}\u{00CE}\u{00CF}\u{00D0}\u{00D1}\u{00D2}\u{00D3}\u{00D4}\u{00D5}\u{00D6}\u{00D7}\u{00D8}\u{00D9}\u{00DA}\u{00DB}\u{00DC}\u{00DD}\u{00DE}\u{00DF}\u{00E0}\u{00E1}\u{00E2}\u{00E3}\u{00E4}\u{00E5}\u{00E6}\u{00E7}\u{00E8}\u{00E9}\u{00EA}\u{00EB}\u{00EC}\u{00ED}\u{00EE}\u{00EF}\u{00F0}\u{00F1}\u{00F2}\u{00F3}\u{00F4}\u{00F5}\u{00F6}\u{00F7}\u{00F8}\u{00F9}\u{00FA}\u{00FB}\u{00FC}\u{00FD}\u{00FE}\u{00FF}"),
        ("iso-8859-1", "\u{20AC}\u{FFFD}\u{201A}\u{0192}\u{201E}\u{2026}\u{2020}\u{2021}\u{02C6}\u{2030}\u{0160}\u{2039}\u{0152}\u{FFFD}\u{017D}\u{FFFD}\u{FFFD}\u{2018}\u{2019}\u{201C}\u{201D}\u{2022}\u{2013}\u{2014}\u{02DC}\u{2122}\u{0161}\u{203A}\u{0153}\u{FFFD}\u{017E}\u{0178}\u{00A0}\u{00A1}\u{00A2}\u{00A3}\u{00A4}\u{00A5}\u{00A6}\u{00A7}\u{00A8}\u{00A9}\u{00AA}\u{00AB}\u{00AC}\u{00AD}\u{00AE}\u{00AF}\u{00B0}\u{00B1}\u{00B2}\u{00B3}\u{00B4}\u{00B5}\u{00B6}\u{00B7}\u{00B8}\u{00B9}\u{00BA}\u{00BB}\u{00BC}\u{00BD}\u{00BE}\u{00BF}\u{00C0}\u{00C1}\u{00C2}\u{00C3}\u{00C4}\u{00C5}\u{00C6}\u{00C7}\u{00C8}\u{00C9}\u{00CA}\u{00CB}\u{00CC}\u{00CD}\u{00CE}\u{00CF}\u{00D0}\u{00D1}\u{00D2}\u{00D3}\u{00D4}\u{00D5}\u{00D6}\u{00D7}\u{00D8}\u{00D9}\u{00DA}\u{00DB}\u{00DC}\u{00DD}\u{00DE}\u{00DF}\u{00E0}\u{00E1}\u{00E2}\u{00E3}\u{00E4}\u{00E5}\u{00E6}\u{00E7}\u{00E8}\u{00E9}\u{00EA}\u{00EB}\u{00EC}\u{00ED}\u{00EE}\u{00EF}\u{00F0}\u{00F1}\u{00F2}\u{00F3}\u{00F4}\u{00F5}\u{00F6}\u{00F7}\u{00F8}\u{00F9}\u{00FA}\u{00FB}\u{00FC}\u{00FD}\u{00FE}\u{00FF}"),
    ]
}
