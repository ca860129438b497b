import Foundation
import Testing
import TestSupport

@testable import IngestCore

@Suite("Mail parser: RFC 5322 + MIME for mail posted to the ingest service")
struct MailParserTests {
    // MARK: Helpers

    private func parse(_ bytes: [UInt8], maxAttachmentBytes: Int = 10 << 20) throws -> MailMessage {
        try MailParser.parse(bytes, maxAttachmentBytes: maxAttachmentBytes)
    }

    private func parse(_ text: String) throws -> MailMessage {
        try MailParser.parse(MailFixtures.crlf(text))
    }

    /// The error `parse` throws, or nil when it parses.
    private func failure(_ bytes: [UInt8]) -> MailParseError? {
        do {
            _ = try MailParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    private func date(_ secondsSince1970: TimeInterval) -> Date {
        Date(timeIntervalSince1970: secondsSince1970)
    }

    /// `bytes` with every CRLF turned into a bare LF.
    private func bareLF(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, byte) in bytes.enumerated() where !(byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
            out.append(byte)
        }
        return out
    }

    /// Parses or throws, and touches every field so lazy bugs would surface; never crashes.
    private func survive(_ bytes: [UInt8]) {
        do {
            let message = try MailParser.parse(bytes, maxAttachmentBytes: 64)
            _ = message.subject.count + message.textBody.count + (message.htmlBody?.count ?? 0)
            _ = message.attachments.reduce(0) { $0 + $1.size + $1.bytes.count }
        } catch {
            #expect(!error.description.isEmpty)
        }
    }

    // MARK: Russia

    @Test("Russian mail: windows-1251 8-bit body, KOI8-R encoded-word subject split over a fold")
    func russianWindows1251() throws {
        let message = try parse(MailFixtures.russianWindows1251)
        #expect(message.messageID == "20240305101500.4F2A1@uralmash-service.ru")
        #expect(message.from == [MailAddress(name: "Иван Петров", address: "ivan.petrov@uralmash-service.ru")])
        #expect(message.from.first?.address == "ivan.petrov@uralmash-service.ru")
        #expect(message.to == [MailAddress(address: "sales@manufacturer.ru")])
        #expect(message.replyTo.isEmpty)
        #expect(message.subject == "Запрос счёта на станки ТВ-320")
        #expect(message.date == date(1_709_622_900))
        #expect(message.textBody == """
            Добрый день!
            Прошу выставить счёт на токарный станок ТВ-320 (2 шт.) и «Паспорт изделия».
            Договор № 17/24 от 01.03.2024.

            С уважением,
            Иван Петров
            ООО «Уралмаш-Сервис»
            Тел.: +7 (343) 555-12-34
            """)
        #expect(message.htmlBody == nil)
        #expect(message.attachments.isEmpty)
        #expect(message.header("x-mailer") == "The Bat! (v10.5.3) Professional")
        let received = try #require(message.headers(named: "RECEIVED").first)
        #expect(received.contains("[195.19.33.10]) by mx.manufacturer.ru with ESMTPS"))
        #expect(!received.contains("\r") && !received.contains("\n"))
        #expect(message.header("Subject") == message.subject)
        #expect(message.headers.map(\.name).prefix(3) == ["Return-Path", "Received", "From"])
    }

    // MARK: Spain

    @Test("Spanish mail: ISO-8859-1 quoted-printable with soft line breaks")
    func spanishLatin1() throws {
        let message = try parse(MailFixtures.spanishLatin1QuotedPrintable)
        #expect(message.from == [MailAddress(name: "José Martínez", address: "jmartinez@talleresmartinez.es")])
        #expect(message.to == [MailAddress(name: "Ventas Espana", address: "ventas@fabricante.es")])
        #expect(message.cc == [MailAddress(name: "Departamento comercial", address: "comercial@fabricante.es")])
        #expect(message.subject == "Solicitud de cotización")
        #expect(message.date == date(1_709_541_012))
        #expect(message.messageID == "AM9PR02MB7412A1B2C3D4E5F6@AM9PR02MB7412.eurprd02.prod.outlook.com")
        #expect(message.textBody == """
            Estimados señores:

            Quisiéramos recibir una cotización para dos compresores de tornillo modelo CT-55, con entrega \
            en Zaragoza antes del 15 de abril. ¿Podrían indicarnos también el plazo de garantía y las \
            condiciones de pago?

            Atentamente,
            José Martínez Ibáñez
            Talleres Martínez S.L. - Zaragoza
            """)
    }

    // MARK: Brazil / Portugal

    @Test("Brazilian mail: windows-1252 plain text and QP HTML alternatives, quoted encoded-word name")
    func portugueseWindows1252() throws {
        let message = try parse(MailFixtures.portugueseWindows1252)
        #expect(message.from == [MailAddress(name: "João Conceição", address: "joao.conceicao@industriapaulista.com.br")])
        #expect(message.subject == "Cotação – empilhadeiras")
        #expect(message.date == date(1_709_744_733))
        #expect(message.messageID == "000c01da6f1c$5b8c1e20$12a45a60$@industriapaulista.com.br")
        #expect(message.textBody == """
            Prezados,

            Gostaríamos de uma cotação para 3 (três) empilhadeiras elétricas – modelo EL-25 – com “garantia estendida”.
            Valor estimado: € 48.000 ou R$ 290.000,00.

            Atenciosamente,
            João Conceição
            Indústria Paulista Ltda.
            """)
        let html = try #require(message.htmlBody)
        #expect(html.hasPrefix("<html><body><p>Prezados,</p>"))
        #expect(html.contains("<b>cota&ccedil;&atilde;o</b>"))
        #expect(html.contains("Jo\u{E3}o Concei\u{E7}\u{E3}o</p>"))
        #expect(message.attachments.isEmpty)
    }

    // MARK: UTF-8

    @Test("UTF-8 base64 body broken at 76 columns, B-encoded subject and names")
    func utf8Base64() throws {
        let message = try parse(MailFixtures.utf8Base64)
        #expect(message.subject == "Заявка на запчасти №58")
        #expect(message.from == [MailAddress(name: "Отдел снабжения", address: "snab@sibmash.ru")])
        #expect(message.to == [MailAddress(name: "Продажи", address: "sales@manufacturer.ru")])
        #expect(message.date == date(1_709_773_200))
        #expect(message.textBody == """
            Здравствуйте!

            Направляем заявку на поставку запчастей: подшипники 6205-2RS — 40 шт., ремни SPZ 1250 — 12 шт.
            Просим подтвердить наличие и сроки. 🚚

            — Отдел снабжения, АО «СибМаш»
            """)
    }

    // MARK: Multipart

    @Test("multipart/alternative inside multipart/mixed with a PDF named by RFC 2231 filename*")
    func mixedAlternativeWithPDF() throws {
        let message = try parse(MailFixtures.mixedWithPDF)
        #expect(message.subject == "Счет № 17/24")
        #expect(message.from == [MailAddress(name: "Buchhaltung", address: "invoices@uralmash-service.ru")])
        #expect(message.date == date(1_709_661_600))
        #expect(message.textBody == "Добрый день!\nСчёт № 17/24 во вложении.")
        let html = try #require(message.htmlBody)
        #expect(html.contains("<p>Счёт &#8470; 17/24 во вложении.</p>"))
        #expect(message.attachments.count == 1)
        let pdf = try #require(message.attachments.first)
        #expect(pdf.name == "Счет.pdf")
        #expect(pdf.contentType == "application/pdf")
        #expect(pdf.size == MailFixtures.invoicePDF.count)
        #expect(pdf.bytes == MailFixtures.invoicePDF)
        #expect(pdf.bytes.starts(with: Array("%PDF-1.4".utf8)))
        #expect(!pdf.truncated)
    }

    @Test("an attachment over maxAttachmentBytes keeps name, type and size but drops its bytes")
    func oversizedAttachmentIsTruncated() throws {
        let message = try parse(MailFixtures.mixedWithPDF, maxAttachmentBytes: 100)
        let pdf = try #require(message.attachments.first)
        #expect(pdf == MailAttachment(name: "Счет.pdf", contentType: "application/pdf", size: 148, bytes: [], truncated: true))
        #expect(message.textBody == "Добрый день!\nСчёт № 17/24 во вложении.")
        let exact = try parse(MailFixtures.mixedWithPDF, maxAttachmentBytes: 148)
        #expect(exact.attachments.first?.truncated == false)
    }

    @Test("multipart/related HTML with an inline image; inline image and named parts become attachments")
    func relatedInlineImage() throws {
        let message = try parse("""
            From: "Marketing" <marketing@fabricante.es>
            To: ventas@fabricante.es
            Subject: Catálogo
            Content-Type: multipart/related; type="text/html"; boundary=rel

            --rel
            Content-Type: text/html; charset=utf-8

            <p>Nuevo cat&aacute;logo:</p><img src="cid:logo@fabricante">
            --rel
            Content-Type: image/png
            Content-Transfer-Encoding: base64
            Content-ID: <logo@fabricante>

            iVBORw0KGgo=
            --rel--
            """)
        #expect(message.subject == "Catálogo")  // raw 8-bit UTF-8 header (RFC 6532)
        #expect(message.textBody == "Nuevo catálogo:")
        #expect(message.attachments == [
            MailAttachment(name: nil, contentType: "image/png", contentID: "logo@fabricante", size: 8,
                           bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        ])
    }

    @Test("text parts marked as attachment or named are attachments; other text types too")
    func textAttachments() throws {
        let message = try parse("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary="XYZ"

            --XYZ
            Content-Type: text/plain; charset=utf-8

            Основной текст
            --XYZ
            Content-Type: text/plain; charset=utf-8
            Content-Disposition: attachment

            вложенный текст
            --XYZ
            Content-Type: text/csv; name="price.csv"

            sku;price
            --XYZ
            Content-Type: text/calendar; method=REQUEST

            BEGIN:VCALENDAR
            --XYZ
            Content-Type: message/rfc822

            Subject: forwarded

            inner
            --XYZ--
            """)
        #expect(message.textBody == "Основной текст")
        #expect(message.attachments.map(\.contentType) == ["text/plain", "text/csv", "text/calendar", "message/rfc822"])
        #expect(message.attachments.map(\.name) == [nil, "price.csv", nil, nil])
        #expect(message.attachments[0].bytes == Array("вложенный текст".utf8))
        #expect(message.attachments[3].bytes == Array("Subject: forwarded\r\n\r\ninner".utf8))
    }

    @Test("nested multiparts at several depths, boundary of the outer part a prefix of the inner")
    func deepNestingAndPrefixBoundaries() throws {
        let message = try parse("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary="b"

            preamble --b is not a delimiter here
            --b
            Content-Type: multipart/mixed; boundary="b-1"

            --b-1
            Content-Type: multipart/alternative; boundary="b-1-1"

            --b-1-1
            Content-Type: text/plain

            deep text
            --b-1-1
            Content-Type: text/html

            <b>deep</b> html
            --b-1-1--
            --b-1
            Content-Type: application/octet-stream; name=data.bin

            --b-not-a-delimiter
            --b-1--
            --b--
            epilogue
            --b
            Content-Type: text/plain

            after the close delimiter: ignored
            """)
        #expect(message.textBody == "deep text")
        #expect(message.htmlBody == "<b>deep</b> html")
        #expect(message.attachments.map(\.name) == ["data.bin"])
        #expect(message.attachments.first?.bytes == Array("--b-not-a-delimiter".utf8))
    }

    @Test("several inline text parts in a multipart/mixed are joined in order")
    func inlineTextPartsJoined() throws {
        let message = try parse("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary=sep

            --sep
            Content-Type: text/plain; charset=us-ascii

            First part.
            --sep
            Content-Type: image/jpeg; name="foto.jpg"
            Content-Transfer-Encoding: base64

            /9j/4AAQ
            --sep

            Second part, no headers at all.
            --sep--
            """)
        #expect(message.textBody == "First part.\nSecond part, no headers at all.")
        #expect(message.attachments.map(\.name) == ["foto.jpg"])
        #expect(message.attachments.first?.bytes == [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10])
    }

    @Test("a multipart without its close delimiter ends its last part at the end of the mail")
    func missingCloseDelimiter() throws {
        let message = try parse("""
            From: a@b.ru
            Content-Type: multipart/alternative; boundary="alt"

            --alt
            Content-Type: text/plain; charset=utf-8

            Текст без закрывающей границы
            """)
        #expect(message.textBody == "Текст без закрывающей границы")
    }

    // MARK: HTML only

    @Test("HTML-only mail is reduced to readable text; the HTML stays available")
    func htmlOnly() throws {
        let message = try parse(MailFixtures.htmlOnly)
        #expect(message.textBody == """
            Olá, equipe!
            Segue o pedido nº 4512:
            Produto Qtd
            Bomba "HX-7" 2
            Preço total: R$ 12.500,00 & frete <incluso>
            Entrega: São Paulo
            Prazo: 30 dias

            Obrigado,
            João — Compras
            """)
        let html = try #require(message.htmlBody)
        #expect(html.contains("<title>Pedido</title>"))
        #expect(!message.textBody.contains("oculto") && !message.textBody.contains("color"))
        #expect(message.from == [MailAddress(address: "compras@distribuidora-sul.com.br")])
    }

    @Test("HTML reduction: hidden content, entities, line-break tags, blank lines limited")
    func htmlReduction() {
        let text = MailHTMLText.readableText("""
            <html><head><style type="text/css">body { font: 12px }</style>
            <script>if (a < b && c > d) { document.write("</p>"); }</script></head>
            <body><div>Linha&nbsp;1<br/>Linha 2</div><p>&lt;tag&gt; &amp; &quot;aspas&quot; &#39;x&#39; &#233; &#xE7;
            &eacute;&ccedil;&atilde;&Ntilde;&ntilde;&euro;&hellip;&unknown; &amp</p>
            <p></p><p></p><br><br><br><br><br><div>Fim</div><img alt="logo" src="x.png"><a href="http://x">link</a>
            <p title="a > b">atributo</p>Texto   com    espaços
            </body></html>
            """)
        #expect(text == """
            Linha 1
            Linha 2
            <tag> & "aspas" 'x' é ç éçãÑñ€…&unknown; &

            Fim
            link
            atributo
            Texto com espaços
            """)
    }

    @Test("HTML-only part without a MIME charset uses its <meta> charset")
    func htmlMetaCharset() throws {
        var bytes = MailFixtures.crlf("""
            From: a@b.ru
            Content-Type: text/html

            <html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body>
            """)
        bytes += [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]  // "Привет" in windows-1251
        bytes += Array("</body></html>".utf8)
        let message = try parse(bytes)
        #expect(message.textBody == "Привет")
    }

    // MARK: Chat and web forms

    @Test("JivoSite chat transcript: UTF-8 QP plain text kept line by line, not interpreted")
    func jivoSiteTranscript() throws {
        let message = try parse(MailFixtures.jivoSiteTranscript)
        #expect(message.subject == "Новое сообщение из чата: Алексей")
        #expect(message.from == [MailAddress(name: "JivoSite", address: "noreply@jivosite.com")])
        #expect(message.replyTo == [MailAddress(address: "alexey.smirnov@mail.ru")])
        #expect(message.messageID == "chat.1709622186.88213@jivosite.com")
        #expect(message.textBody == """
            Диалог с посетителем сайта
            Страница: https://manufacturer.ru/catalog/stanki/tv-320

            Имя: Алексей
            E-mail: alexey.smirnov@mail.ru
            Телефон: +7 912 345-67-89
            Город: Екатеринбург

            [10:02:11] Алексей: Здравствуйте, есть ли в наличии ТВ-320?
            [10:02:40] Оператор Мария: Добрый день! Да, 2 единицы на складе в Екатеринбурге.
            [10:03:05] Алексей: Отлично, пришлите КП на почту.
            """)
        let lines = message.textBody.split(separator: "\n")
        #expect(lines.contains("Имя: Алексей"))
        #expect(lines.contains("E-mail: alexey.smirnov@mail.ru"))
        #expect(lines.contains("Телефон: +7 912 345-67-89"))
    }

    @Test("website form from no-reply@ with the customer in Reply-To; subject mixes text and an encoded word")
    func websiteForm() throws {
        let message = try parse(MailFixtures.websiteForm)
        #expect(message.from == [MailAddress(name: "Site Fabricante", address: "no-reply@fabricante.com.br")])
        #expect(message.replyTo == [MailAddress(name: "Ana Paula Souza", address: "ana.souza@construtora-horizonte.com.br")])
        #expect(message.replyTo.first?.address == "ana.souza@construtora-horizonte.com.br")
        #expect(message.to == [
            MailAddress(address: "vendas@fabricante.com.br"),
            MailAddress(name: "Gerente Regional (SP)", address: "gerente.sp@fabricante.com.br"),
        ])
        #expect(message.subject == "Novo contato pelo site: Orçamento")
        #expect(message.date == date(1_709_926_930))
        #expect(message.textBody.hasPrefix("Nome: Ana Paula Souza\nE-mail: ana.souza@construtora-horizonte.com.br\n"))
        #expect(message.textBody.hasSuffix("Mensagem: Gostaria de um orçamento para 5 geradores a diesel de 150 kVA."))
    }

    // MARK: Missing pieces, line endings

    @Test("a mail without Message-ID, Date, Subject or MIME headers still parses")
    func missingOptionalHeaders() throws {
        let message = try parse("""
            From: oficina@cliente.pt
            To: vendas@fabricante.pt

            Bom dia, queria saber o preço.
            """)
        #expect(message.messageID == nil)
        #expect(message.date == nil)
        #expect(message.subject == "")
        #expect(message.textBody == "Bom dia, queria saber o preço.")
        #expect(message.htmlBody == nil)
    }

    @Test("an unparseable Date is nil, not an error; an empty Message-ID is nil")
    func badDateIsNil() throws {
        let message = try parse("""
            From: a@b.ru
            Date: вчера вечером
            Message-ID: <>

            x
            """)
        #expect(message.date == nil)
        #expect(message.messageID == nil)
    }

    @Test("bare LF line endings give the same result as CRLF", arguments: [
        MailFixtures.russianWindows1251, MailFixtures.spanishLatin1QuotedPrintable, MailFixtures.portugueseWindows1252,
        MailFixtures.utf8Base64, MailFixtures.mixedWithPDF, MailFixtures.htmlOnly, MailFixtures.jivoSiteTranscript,
        MailFixtures.websiteForm,
    ])
    func bareLineFeeds(fixture: [UInt8]) throws {
        let viaLF = try parse(bareLF(fixture))
        let viaCRLF = try parse(fixture)
        #expect(viaLF == viaCRLF)
        #expect(bareLF(fixture).count < fixture.count)
    }

    @Test("headers end leniently: no blank line before the body, headers only, mbox From line")
    func lenientHeaderBlock() throws {
        let noSeparator = try parse("""
            From: a@b.ru
            Subject: без пустой строки
            Это уже тело письма.
            """)
        #expect(noSeparator.subject == "без пустой строки")
        #expect(noSeparator.textBody == "Это уже тело письма.")

        let headersOnly = try parse("Subject: only a header")
        #expect(headersOnly.subject == "only a header")
        #expect(headersOnly.textBody == "")

        let mbox = try parse("""
            From ivan@zavod.ru Tue Mar  5 10:15:00 2024
            From: ivan@zavod.ru
            Subject: из mbox

            тело
            """)
        #expect(mbox.from == [MailAddress(address: "ivan@zavod.ru")])
        #expect(mbox.textBody == "тело")

        let leadingBlankLines = try parse("\r\n\r\nSubject: leading blank lines\r\n\r\nbody")
        #expect(leadingBlankLines.subject == "leading blank lines")
    }

    @Test("header names are case-insensitive, folded values unfolded, obsolete blank before colon accepted")
    func headerForms() throws {
        let message = try parse("""
            FROM: "Продажи" <Sales@Fabricante.ES>
            subject : first line
             continued\tafter a fold
            reply-TO: <info@fabricante.es>
            X-Empty:
            Content-type: TEXT/PLAIN; CHARSET=UTF-8

            тело
            """)
        #expect(message.from == [MailAddress(name: "Продажи", address: "sales@fabricante.es")])
        #expect(message.subject == "first line continued\tafter a fold")
        #expect(message.replyTo == [MailAddress(address: "info@fabricante.es")])
        #expect(message.header("x-empty") == "")
        #expect(message.header("CONTENT-TYPE") == "TEXT/PLAIN; CHARSET=UTF-8")
        #expect(message.textBody == "тело")
    }

    @Test("raw 8-bit header bytes use the entity's declared charset when they are not UTF-8")
    func raw8BitHeaders() throws {
        var bytes = Array("Subject: ".utf8) + [0xD1, 0xF7, 0xE5, 0xF2]  // "Счет" in windows-1251
        bytes += Array("\r\nFrom: a@b.ru\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n".utf8)
        bytes += [0xF2, 0xE5, 0xEA, 0xF1, 0xF2]  // "текст"
        let message = try parse(bytes)
        #expect(message.subject == "Счет")
        #expect(message.textBody == "текст")
    }

    @Test("unknown charsets decode as UTF-8 with replacement; US-ASCII with 8-bit UTF-8 is read as UTF-8")
    func charsetFallbacks() throws {
        var unknown = MailFixtures.crlf("From: a@b.ru\nContent-Type: text/plain; charset=x-mac-klingon\n\n")
        unknown += Array("Olá ".utf8) + [0xFF, 0xFE]
        let message = try parse(unknown)
        #expect(message.textBody == "Olá \u{FFFD}\u{FFFD}")

        let mislabelled = try parse("From: a@b.ru\nContent-Type: text/plain; charset=us-ascii\n\nПривет")
        #expect(mislabelled.textBody == "Привет")

        var latin = MailFixtures.crlf("From: a@b.ru\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n")
        latin += [0x4F, 0x6C, 0xE1]  // "Olá" in Latin-1, no charset declared: not UTF-8, so Windows Latin
        #expect(try parse(latin).textBody == "Olá")
    }

    @Test("format=flowed plain text is unwrapped (RFC 3676)")
    func formatFlowed() throws {
        let message = try parse("""
            From: a@b.es
            Content-Type: text/plain; charset=utf-8; format=flowed; delsp=no

            Buenos días, quisiera un presupuesto\u{20}
            para dos compresores.
             >no es cita
            --\u{20}
            Firma
            """)
        #expect(message.textBody == "Buenos días, quisiera un presupuesto para dos compresores.\n>no es cita\n-- \nFirma")
    }

    @Test("unknown Content-Transfer-Encoding and 8bit/binary pass bytes through")
    func identityEncodings() throws {
        for encoding in ["7bit", "8bit", "binary", "x-unknown", "\"8BIT\""] {
            let message = try parse("From: a@b.ru\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: \(encoding)\n\nа=3Dб")
            #expect(message.textBody == "а=3Dб")
        }
    }

    // MARK: Attachments naming

    @Test("attachment names: RFC 2231 continuations and charsets, RFC 2047, name=, directories stripped")
    func attachmentNames() throws {
        let message = try parse("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary="n"

            --n
            Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document
            Content-Disposition: attachment;
             filename*0*=UTF-8''%D0%9A%D0%BE%D0%BC%D0%BC%D0%B5%D1%80%D1%87%D0%B5%D1%81;
             filename*1*=%D0%BA%D0%BE%D0%B5%20%D0%BF%D1%80%D0%B5%D0%B4%D0%BB%D0%BE%D0%B6;
             filename*2*=%D0%B5%D0%BD%D0%B8%D0%B5;
             filename*3=".docx"

            doc
            --n
            Content-Type: application/vnd.ms-excel
            Content-Disposition: attachment; filename*=windows-1251'ru'%D1%F7%E5%F2.xls; filename="fallback.xls"

            xls
            --n
            Content-Type: application/pdf; name="=?UTF-8?B?0KHRh9C10YIucGRm?="

            pdf
            --n
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename="../../etc/passwd"

            x
            --n
            Content-Type: application/zip; name*=iso-8859-1''Cotizaci%F3n.zip
            Content-Disposition: attachment

            zip
            --n
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename=Lista de precios 2024.xlsx

            y
            --n--
            """)
        #expect(message.attachments.map(\.name) == [
            "Коммерческое предложение.docx", "Счет.xls", "Счет.pdf", "passwd",
            "Cotización.zip", "Lista de precios 2024.xlsx",
        ])
        #expect(message.attachments.map(\.size) == [3, 3, 3, 1, 3, 1])
    }

    // MARK: Errors

    @Test("empty or whitespace-only input is refused")
    func emptyInput() {
        #expect(failure([]) == .emptyInput)
        #expect(failure(Array(" \r\n\t\r\n".utf8)) == .emptyInput)
    }

    @Test("input without any header field is refused")
    func noHeaders() {
        #expect(failure(Array("Hola, esto no es un correo, solo texto sin cabeceras.\n".utf8)) == .missingHeaders)
        #expect(failure(Array("\u{FEFF}garbage without a colon".utf8)) == .missingHeaders)
        #expect(failure([0x00, 0xFF, 0x01, 0x0A, 0x0A, 0x41]) == .missingHeaders)
    }

    @Test("a multipart without its boundary parameter is refused, at any depth")
    func missingBoundary() throws {
        #expect(failure(MailFixtures.crlf("From: a@b.ru\nContent-Type: multipart/mixed\n\n--x\n\ntext\n--x--\n"))
            == .missingBoundary(contentType: "multipart/mixed"))
        #expect(failure(MailFixtures.crlf("From: a@b.ru\nContent-Type: multipart/mixed; boundary=\"\"\n\nbody\n"))
            == .missingBoundary(contentType: "multipart/mixed"))
        let nested = MailFixtures.crlf("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary=outer

            --outer
            Content-Type: multipart/alternative

            --inner
            --outer--
            """)
        #expect(failure(nested) == .missingBoundary(contentType: "multipart/alternative"))
    }

    @Test("a multipart whose boundary never appears is refused")
    func boundaryNotFound() {
        let bytes = MailFixtures.crlf("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary="----=_Part_0_1709622900"

            ------=_Part_1_OTHER
            Content-Type: text/plain

            text
            ------=_Part_0_1709622900X
            """)
        #expect(failure(bytes) == .boundaryNotFound(boundary: "----=_Part_0_1709622900"))
    }

    @Test("base64 that cannot be decoded at all is refused; damaged-but-readable base64 is not")
    func invalidBase64() throws {
        let garbage = MailFixtures.crlf("From: a@b.ru\nContent-Transfer-Encoding: base64\n\nЭто вовсе не base64!!!\n")
        #expect(failure(garbage) == .invalidBase64(contentType: "text/plain"))
        let inAttachment = MailFixtures.crlf("""
            From: a@b.ru
            Content-Type: multipart/mixed; boundary=z

            --z
            Content-Type: application/pdf; name=a.pdf
            Content-Transfer-Encoding: base64

            %%%% ~~~~ ****
            --z--
            """)
        #expect(failure(inAttachment) == .invalidBase64(contentType: "application/pdf"))
        // Stray characters, missing padding and odd whitespace are tolerated.
        let damaged = try parse("From: a@b.ru\nContent-Transfer-Encoding: base64\n\n 0J/R\t gNC4 0LLQ\n\n tdGC!\n")
        #expect(damaged.textBody == "Привет")
        let empty = try parse("From: a@b.ru\nContent-Transfer-Encoding: base64\n\n\n")
        #expect(empty.textBody == "")
    }

    @Test("multiparts nested beyond any real mail are refused rather than recursed")
    func nestingTooDeep() {
        var text = "From: a@b.ru\n"
        for level in 0..<60 { text += "Content-Type: multipart/mixed; boundary=\"l\(level)\"\n\n--l\(level)\n" }
        text += "Content-Type: text/plain\n\ndeep\n"
        #expect(failure(MailFixtures.crlf(text)) == .nestingTooDeep(limit: MailParser.nestingLimit))
    }

    @Test("every error has a readable description")
    func errorDescriptions() {
        let errors: [MailParseError] = [
            .emptyInput, .missingHeaders, .missingBoundary(contentType: "multipart/mixed"),
            .boundaryNotFound(boundary: "b"), .invalidBase64(contentType: "application/pdf"), .nestingTooDeep(limit: 40),
        ]
        for error in errors { #expect(error.description.count > 10) }
        #expect(MailParseError.boundaryNotFound(boundary: "b").description.contains("\"b\""))
    }

    // MARK: RFC 2047

    @Test("encoded words: adjacent ones joined, others keep their spacing, characters split across words survive")
    func encodedWords() {
        let decode = MailHeaderCodec.decodeEncodedWords
        #expect(decode("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab")
        #expect(decode("=?UTF-8?Q?a?=\t  =?ISO-8859-1?Q?=E9?=") == "aé")
        #expect(decode("=?UTF-8?Q?a?= x =?UTF-8?Q?b?=") == "a x b")
        #expect(decode("Re: =?UTF-8?B?0J/RgNC40LLQtdGC?=!") == "Re: Привет!")
        // "Привет" with its UTF-8 bytes split in the middle of "и" across two B words.
        #expect(decode("=?utf-8?b?0J/RgNA=?= =?utf-8?b?uNCy0LXRgg==?=") == "Привет")
        #expect(decode("=?utf-8?b?0J/RgN?= =?utf-8?b?C40LLQtdGC?=") != "")  // damaged padding: no crash
        #expect(decode("=?UTF-8?Q?=D0=9F=D1=80=D0?= =?UTF-8?Q?=B8=D0=B2=D0=B5=D1=82?=") == "Привет")
        #expect(decode("=?ISO-8859-15?Q?Precio_=A4_100?=") == "Precio € 100")
        #expect(decode("=?windows-1251?B?0e/g8ejh7g==?=") == "Спасибо")
        #expect(decode("=?KOI8-R?Q?=F3=D0=C1=D3=C9=C2=CF?=") == "Спасибо")
        #expect(decode("=?UTF-8*ru?B?0JTQsA==?=") == "Да")
        #expect(decode("=?x-unknown?Q?plain?=") == "plain")
        #expect(decode("=?US-ASCII?Q?Keith_Moore?=") == "Keith Moore")
        #expect(decode("no encoded words") == "no encoded words")
        #expect(decode("=?UTF-8?X?abc?=") == "=?UTF-8?X?abc?=")
        #expect(decode("=?utf-8?q?unterminated and more") == "=?utf-8?q?unterminated and more")
        #expect(decode("=??Q?a?=") == "=??Q?a?=")
        #expect(decode("price =?= 10") == "price =?= 10")
    }

    @Test("hostile runs of broken encoded words come back unchanged")
    func encodedWordsHostile() {
        let hostile = String(repeating: "=?a?q?x=", count: 50_000)
        #expect(MailHeaderCodec.decodeEncodedWords(hostile) == hostile)
    }

    // MARK: Addresses

    @Test("address lists: display names, quoted strings, comments, groups, routes, broken forms")
    func addressLists() {
        let parse = MailAddressParser.parseList
        #expect(parse("\"Doe, John\" <John.Doe@Example.com>") == [MailAddress(name: "Doe, John", address: "john.doe@example.com")])
        #expect(parse("Doe, John <j@x.com>, ana@y.pt") == [
            MailAddress(name: "Doe, John", address: "j@x.com"), MailAddress(address: "ana@y.pt"),
        ])
        #expect(parse("john@x.com (John Smith)") == [MailAddress(name: "John Smith", address: "john@x.com")])
        #expect(parse("Mary (de vendas) Smith <M@X.es>") == [MailAddress(name: "Mary Smith", address: "m@x.es")])
        #expect(parse("Ventas: a@x.es, \"B\" <b@x.es>;, c@y.es") == [
            MailAddress(address: "a@x.es"), MailAddress(name: "B", address: "b@x.es"), MailAddress(address: "c@y.es"),
        ])
        #expect(parse("undisclosed-recipients:;") == [])
        #expect(parse("") == [])
        #expect(parse("<@relay1.ru,@relay2.ru:User@Host.ru>") == [MailAddress(address: "user@host.ru")])
        #expect(parse("<mailto:info@fabrica.ru>") == [MailAddress(address: "info@fabrica.ru")])
        #expect(parse("\"Ivan \\\"Boss\\\" Petrov\" <i@x.ru>") == [MailAddress(name: "Ivan \"Boss\" Petrov", address: "i@x.ru")])
        #expect(parse("=?UTF-8?B?0JjQstCw0L0=?= =?UTF-8?B?INCf0LXRgtGA0L7Qsg==?= <ivan@x.ru>")
            == [MailAddress(name: "Иван Петров", address: "ivan@x.ru")])
        #expect(parse("'Maria Lopez' <maria@x.es>") == [MailAddress(name: "Maria Lopez", address: "maria@x.es")])
        #expect(parse("john.doe @ example.com") == [MailAddress(address: "john.doe@example.com")])
        #expect(parse("<>") == [])
        #expect(parse("just some words, and more") == [])
        #expect(parse("a@b.ru,,, ,c@d.ru") == [MailAddress(address: "a@b.ru"), MailAddress(address: "c@d.ru")])
        #expect(parse("\"unterminated <x@y.ru>") == [MailAddress(name: "unterminated", address: "x@y.ru")])
        #expect(parse("Иван Петров <ivan@завод.рф>") == [MailAddress(name: "Иван Петров", address: "ivan@завод.рф")])
    }

    @Test("unclosed quotes and comments are stray characters: the address after them survives")
    func unclosedQuotesAndComments() throws {
        let addresses = MailAddressParser.parseList
        #expect(addresses("\"Ivan <ivan@x.ru>") == [MailAddress(name: "Ivan", address: "ivan@x.ru")])
        #expect(addresses("(Ivan <ivan@x.ru>") == [MailAddress(name: "Ivan", address: "ivan@x.ru")])
        #expect(addresses("<\"ivan@x.ru>") == [MailAddress(address: "ivan@x.ru")])
        #expect(addresses("<\"ivan@x.ru>, \"Petr\" <p@x.ru>") == [
            MailAddress(address: "ivan@x.ru"), MailAddress(name: "Petr", address: "p@x.ru"),
        ])
        #expect(addresses("Ivan (a (b) c <i@x.ru>") == [MailAddress(name: "Ivan a b c", address: "i@x.ru")])
        #expect(addresses("<\"john doe\"@x.ru>") == [MailAddress(address: "\"johndoe\"@x.ru")])
        #expect(addresses("\"Ivan") == [])
        #expect(addresses("\"") == [])
        #expect(addresses("(") == [])
        #expect(addresses("<\"") == [])

        let message = try parse("From: \"Ivan <ivan@x.ru>\nSubject: x\n\nbody\n")
        #expect(message.from == [MailAddress(name: "Ivan", address: "ivan@x.ru")])
    }

    @Test("long runs of unclosed quotes and comments still parse to what can be read")
    func unclosedQuotesHostile() {
        for hostile in [
            String(repeating: "\"\\", count: 40_000), String(repeating: "(", count: 80_000),
            String(repeating: "<\"", count: 40_000), String(repeating: "(\\", count: 40_000),
        ] {
            _ = MailAddressParser.parseList(hostile)
        }
    }

    @Test("MailAddress lower-cases the address however it is built")
    func addressLowercased() {
        #expect(MailAddress(name: "X", address: "Ana.Souza@EMPRESA.com.BR").address == "ana.souza@empresa.com.br")
    }

    // MARK: Dates

    @Test("dates per RFC 5322 with obsolete forms; nil when unreadable", arguments: [
        ("Tue, 5 Mar 2024 10:15:00 +0300 (MSK)", 1_709_622_900.0),
        ("Tue, 05 Mar 2024 10:15:00 +0300", 1_709_622_900),
        ("5 Mar 2024 10:15 +0300", 1_709_622_900),
        ("Tue,5 Mar 2024 10:15:00 +0300", 1_709_622_900),
        ("  tue, 05 MAR 2024 07:15:00 GMT  ", 1_709_622_900),
        ("Tue, 05 Mar 2024 07:15:00 UT", 1_709_622_900),
        ("Tue, 05 Mar 2024 07:15:00 Z", 1_709_622_900),
        ("Tue, 05 Mar 2024 07:15:00", 1_709_622_900),
        ("Tue, 05 Mar 24 02:15:00 EST", 1_709_622_900),
        ("Tue, 05 Mar 2024 00:15:00 PDT", 1_709_622_900),
        ("Tue, 05 Mar 2024 07:15:00 -0000", 1_709_622_900),
        ("Tue, 05 March 2024 07:15:00 +0000", 1_709_622_900),
        ("Tue, 05 Mar 124 07:15:00 +0000", 1_709_622_900),
        ("Fri, 31 Dec 99 23:59 GMT", 946_684_740),
        ("Thu, 29 Feb 2024 09:00:00 -0300", 1_709_208_000),
        ("Tue, 05 Mar 2024 07:15:60 +0000", 1_709_622_959),
        ("2024-03-05T10:15:00+03:00", 1_709_622_900),
        ("2024-03-05 07:15:00Z", 1_709_622_900),
        ("2024-03-05T04:15:00.250-0300", 1_709_622_900),
    ])
    func dates(text: String, expected: Double) {
        #expect(MailDateParser.parse(text) == date(expected))
    }

    @Test("unreadable dates are nil", arguments: [
        "", "вчера", "Tue, 31 Feb 2024 10:00:00 +0000", "Tue, 5 Mar 2024 25:00:00 +0000", "Tue, 5 Foo 2024 10:00:00 +0000",
        "Tue, 5 Mar 2024 10:61:00 +0000", "Tue, 5 Mar 2024 10:15:00 +03x0", "Tue, 0 Mar 2024 10:15:00 +0000",
        "Tue, 5 Mar 2024", "Tue, 5 Mar 2024 +10:15:00", "Tue, +5 Mar 2024 10:15:00 +0000", "5 Mar 99999 10:15:00 +0000",
        "2024-13-05T10:15:00Z", "2024-02-30T10:15:00Z", "(only a comment)",
    ])
    func badDates(text: String) {
        #expect(MailDateParser.parse(text) == nil)
    }

    // MARK: Transfer encodings

    @Test("base64: line breaks, whitespace, missing or mid-stream padding, URL-safe alphabet")
    func base64() {
        let decode = { (text: String) in MailTransferDecoding.base64(Array(text.utf8)[...]) }
        #expect(decode("SGVsbG8=") == Array("Hello".utf8))
        #expect(decode("SGVs\r\nbG8") == Array("Hello".utf8))
        #expect(decode(" S G V s b G 8 = \n") == Array("Hello".utf8))
        #expect(decode("SGk=SGk=") == Array("HiHi".utf8))
        #expect(decode("-_8=") == [0xFB, 0xFF])
        #expect(decode("") == [])
        #expect(decode("\r\n\r\n") == [])
        #expect(decode("SGVsbG8=\r\n-- \r\n") == Array("Hello".utf8) + [0xFB])  // stray trailer tolerated
        #expect(decode("!!!!") == nil)
        #expect(decode("Привет") == nil)
    }

    @Test("quoted-printable: =XX either case, soft breaks CRLF and LF, trailing blanks, malformed '='")
    func quotedPrintable() {
        let decode = { (text: String) in String(decoding: MailTransferDecoding.quotedPrintable(Array(text.utf8)[...]), as: UTF8.self) }
        #expect(decode("a=3Db") == "a=b")
        #expect(decode("=c3=a9t=C3=A9") == "été")
        #expect(decode("soft=\r\nbreak") == "softbreak")
        #expect(decode("soft=\nbreak") == "softbreak")
        #expect(decode("soft=  \r\nbreak") == "softbreak")
        #expect(decode("trailing   \r\nline") == "trailing\r\nline")
        #expect(decode("inner  space") == "inner  space")
        #expect(decode("bad =ZZ and =4") == "bad =ZZ and =4")
        #expect(decode("end=") == "end")
        #expect(decode("=") == "")
        #expect(decode("a = b") == "a = b")
    }

    // MARK: Charsets

    @Test("single-byte charset tables match the Unicode mappings for all of 0x80–0xFF")
    func charsetTables() throws {
        let high = (0x80...0xFF).map { UInt8($0) }
        for (label, expected) in MailFixtures.highHalves {
            let charset = try #require(MailCharset(label: label))
            #expect(charset.decode(high[...]) == expected, "\(label)")
        }
        let ascii = (0x00...0x7F).map { UInt8($0) }
        for label in ["windows-1251", "koi8-r", "windows-1252", "iso-8859-1", "iso-8859-15", "us-ascii", "utf-8"] {
            #expect(MailCharset(label: label)?.decode(ascii[...]) == String(decoding: ascii, as: UTF8.self))
        }
    }

    @Test("charset labels: aliases, case, quotes; unknown labels are not errors")
    func charsetLabels() {
        #expect(MailCharset(label: "CP1251") == .windows1251)
        #expect(MailCharset(label: "\"Windows-1251\"") == .windows1251)
        #expect(MailCharset(label: "koi8r") == .koi8R)
        #expect(MailCharset(label: "latin1") == .iso88591)
        #expect(MailCharset(label: "ISO_8859-15") == .iso885915)
        #expect(MailCharset(label: "UTF8") == .utf8)
        #expect(MailCharset(label: "ascii") == .usASCII)
        #expect(MailCharset(label: "gb2312") == .unknown)
        #expect(MailCharset(label: nil) == nil)
        #expect(MailCharset(label: " ") == nil)
    }

    // MARK: Robustness

    @Test("every prefix of realistic mails parses or throws, never crashes", arguments: [
        MailFixtures.russianWindows1251, MailFixtures.spanishLatin1QuotedPrintable, MailFixtures.htmlOnly,
        MailFixtures.websiteForm,
    ])
    func everyPrefix(fixture: [UInt8]) {
        for length in 0...fixture.count { survive(Array(fixture.prefix(length))) }
    }

    @Test("every 7th prefix and suffix of the multipart mails parses or throws", arguments: [
        MailFixtures.mixedWithPDF, MailFixtures.portugueseWindows1252, MailFixtures.jivoSiteTranscript,
        MailFixtures.utf8Base64,
    ])
    func strideTruncations(fixture: [UInt8]) {
        for length in stride(from: 0, through: fixture.count, by: 7) {
            survive(Array(fixture.prefix(length)))
            survive(Array(fixture.suffix(length)))
        }
    }

    @Test("random mutations of realistic mails parse or throw, never crash")
    func mutations() {
        var generator = SplitMix64(seed: 0x4D41_494C)
        let fixtures = [
            MailFixtures.mixedWithPDF, MailFixtures.russianWindows1251, MailFixtures.htmlOnly,
            MailFixtures.portugueseWindows1252, MailFixtures.spanishLatin1QuotedPrintable,
        ]
        let tokens: [[UInt8]] = [
            Array("--".utf8), Array("=?".utf8), Array("?=".utf8), Array("\r\n".utf8), Array("\n\n".utf8),
            Array("=".utf8), Array("<".utf8), Array("&#".utf8), Array("\"".utf8), Array("(".utf8), Array("*0*=".utf8),
            Array("boundary=".utf8), Array("Content-Type: multipart/mixed; boundary=q\r\n".utf8), [0xFF], [0x00], [0xD0],
        ]
        for round in 0..<600 {
            var bytes = fixtures[round % fixtures.count]
            for _ in 0..<(1 + Int(generator.next() % 6)) {
                guard !bytes.isEmpty else { break }
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 4 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.insert(contentsOf: tokens[Int(generator.next() % UInt64(tokens.count))], at: position)
                case 2: bytes.removeSubrange(position..<min(bytes.count, position + Int(generator.next() % 40)))
                default: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 30)], at: position)
                }
            }
            survive(bytes)
        }
        for _ in 0..<200 {
            let length = Int(generator.next() % 400)
            survive((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        }
    }

    @Test("a 5 MB mail parses whole: text, subject and the attachment byte for byte")
    func fiveMegabytes() throws {
        var pdf = [UInt8](repeating: 0, count: 3_000_000)
        var generator = SplitMix64(seed: 7)
        for index in pdf.indices { pdf[index] = UInt8(truncatingIfNeeded: generator.next()) }
        let encoded = Data(pdf).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let line = "Строка текста для проверки производительности разбора: цена=100 руб., количество=5 шт.\n"
        let text = String(repeating: line, count: 8_000)
        let html = "<p>" + String(repeating: "Pre&ccedil;o &amp; prazo <b>imediato</b><br>\n", count: 12_000) + "</p>"
        let mail = MailFixtures.crlf("""
            From: "Отдел закупок" <zakupki@zavod.ru>
            To: sales@manufacturer.ru
            Subject: =?UTF-8?B?0JHQvtC70YzRiNC+0LUg0L/QuNGB0YzQvNC+?=
            Date: Tue, 5 Mar 2024 10:15:00 +0300
            Content-Type: multipart/mixed; boundary="big"

            --big
            Content-Type: multipart/alternative; boundary="alt"

            --alt
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: 8bit

            \(text)
            --alt
            Content-Type: text/html; charset=utf-8

            \(html)
            --alt--
            --big
            Content-Type: application/pdf; name="big.pdf"
            Content-Transfer-Encoding: base64

            \(encoded)
            --big--
            """)
        #expect(mail.count > 5_000_000)
        let message = try parse(mail)
        #expect(message.attachments.first?.bytes == pdf)
        #expect(message.textBody.hasPrefix("Строка текста"))
        #expect(message.subject == "Большое письмо")

        let reduced = MailHTMLText.readableText(html)
        #expect(reduced.hasPrefix("Preço & prazo imediato\nPreço"))
    }
}
