import Contracts
import Foundation
import Testing

@testable import IngestCore

@Suite("Inquiry extraction: mail, web forms and chat webhooks to inquiry drafts")
struct InquiryExtractionTests {
    // MARK: Helpers

    /// The caller's phone normalisation, for a sales office in `region`.
    private func number(_ region: Region) -> (String) -> PartyNumber {
        { PartyNumber(raw: $0, e164: PhoneNumber.normalise($0, defaultRegion: region).e164) }
    }

    private func mail(
        from: [MailAddress], replyTo: [MailAddress] = [], to: [MailAddress] = [MailAddress(address: "sales@manufacturer.ru")],
        subject: String, text: String, html: String? = nil
    ) -> MailMessage {
        MailMessage(from: from, replyTo: replyTo, to: to, subject: subject, textBody: text, htmlBody: html)
    }

    private func form(_ json: String) throws -> FormSubmission {
        try JSONDecoder().decode(FormSubmission.self, from: Data(json.utf8))
    }

    private func webhook(_ json: String) throws -> ChatWebhook {
        try JSONDecoder().decode(ChatWebhook.self, from: Data(json.utf8))
    }

    /// The error `fromForm` throws, or nil when it accepts the submission.
    private func refusal(_ json: String) throws -> InquiryInputError? {
        let submission = try form(json)
        do {
            _ = try InquiryExtraction.fromForm(submission, number: number(.RU))
            return nil
        } catch {
            return error
        }
    }

    // MARK: Chat transcripts by mail

    @Test("Russian JivoSite transcript: labelled visitor lines, page URL, never the noreply sender")
    func russianTranscript() throws {
        let message = try MailParser.parse(MailFixtures.jivoSiteTranscript)
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .chat)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "Алексей", email: "alexey.smirnov@mail.ru",
                    phone: PartyNumber(raw: "+7 912 345-67-89", e164: "+79123456789")))
        #expect(draft.subject == "Новое сообщение из чата: Алексей")
        #expect(draft.text == message.textBody)
        #expect(draft.pageURL == "https://manufacturer.ru/catalog/stanki/tv-320")
        #expect(draft.utm == [:])
    }

    @Test("English offline message from jivochat.com")
    func englishOfflineMessage() {
        let message = mail(
            from: [MailAddress(name: "JivoChat", address: "noreply@jivochat.com")], subject: "Offline message from John Smith",
            text: """
                Name: John Smith
                Email: John.Smith@Acme-Industrial.com
                Phone: +1 (415) 555-0100
                utm_source: google
                utm_campaign: lathes

                Message: Do you ship lathes to California?
                """)
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .chat)
        #expect(draft.identity.name == "John Smith")
        #expect(draft.identity.email == "john.smith@acme-industrial.com")
        #expect(draft.identity.phone?.e164 == "+14155550100")
        #expect(draft.utm == ["utm_source": "google", "utm_campaign": "lathes"])
        #expect(draft.text.hasSuffix("Do you ship lathes to California?"))
    }

    @Test("Spanish transcript recognised by its subject alone, labels with accents")
    func spanishTranscriptBySubject() {
        let message = mail(
            from: [MailAddress(address: "chat@fabrica.es")], subject: "Conversación con Visitante 4411",
            text: """
                Nombre: María López
                Correo electrónico: maria.lopez@talleres-sur.es
                Teléfono: 912 345 678
                Página: https://fabrica.es/tornos

                [10:01] María López: ¿Tienen tornos CNC?
                """)
        let draft = InquiryExtraction.fromMail(message, number: number(.ES))
        #expect(draft.channel == .chat)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "María López", email: "maria.lopez@talleres-sur.es",
                    phone: PartyNumber(raw: "912 345 678", e164: "+34912345678")))
        #expect(draft.pageURL == "https://fabrica.es/tornos")
    }

    @Test("Portuguese transcript from jivochat.com.br, and one recognised by its body")
    func portugueseTranscripts() {
        let fromProvider = mail(
            from: [MailAddress(address: "noreply@jivochat.com.br")], subject: "Conversa com João Silva",
            text: "Nome: João Silva\nE-mail: joao@obra.com.br\nTelefone: (11) 91234-5678\n\nJoão Silva: Bom dia")
        let draft = InquiryExtraction.fromMail(fromProvider, number: number(.BR))
        #expect(draft.channel == .chat)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "João Silva", email: "joao@obra.com.br",
                    phone: PartyNumber(raw: "(11) 91234-5678", e164: "+5511912345678")))

        let byBody = mail(
            from: [MailAddress(address: "atendimento@loja.pt")], subject: "Resumo do atendimento",
            text: "Conversa com o visitante do site\nNome: Rui Costa\nTelefone: 21 123 4567")
        let fromBody = InquiryExtraction.fromMail(byBody, number: number(.PT))
        #expect(fromBody.channel == .chat)
        #expect(fromBody.identity.name == "Rui Costa")
        #expect(fromBody.identity.phone?.e164 == "+351211234567")
        // The transcript's sender is the shop's own system mailbox, not the visitor.
        #expect(fromBody.identity.email == nil)
    }

    @Test("a transcript without an e-mail line takes the visitor's address from Reply-To")
    func transcriptReplyTo() {
        let message = mail(
            from: [MailAddress(name: "Jivo", address: "noreply@jivo.ru")],
            replyTo: [MailAddress(name: "Ольга", address: "Olga@Zavod.ru")],
            subject: "Новое оффлайн сообщение", text: "Телефон: 8 (912) 345-67-89\nСообщение: перезвоните")
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .chat)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "Ольга", email: "olga@zavod.ru", phone: PartyNumber(raw: "8 (912) 345-67-89", e164: "+79123456789")))
    }

    // MARK: Web forms by mail

    @Test("Russian form mail: *Label:* markup, dash separators, placeholders skipped")
    func russianFormMail() {
        let message = mail(
            from: [MailAddress(name: "Сайт", address: "noreply@manufacturer.ru")], subject: "Заявка с сайта",
            text: """
                *Имя:* Пётр Сидоров
                *Телефон:* 8 (912) 345-67-89 (мобильный)
                *E-mail:* не указан
                Компания — ООО «Уралмаш-Сервис»
                Сообщение: Нужен станок ТВ-320
                """)
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .webForm)
        #expect(draft.identity.name == "Пётр Сидоров")
        #expect(draft.identity.email == nil)
        #expect(draft.identity.phone == PartyNumber(raw: "8 (912) 345-67-89", e164: "+79123456789"))
        #expect(draft.identity.company == "ООО «Уралмаш-Сервис»")
        #expect(draft.subject == "Заявка с сайта")
    }

    @Test("Brazilian form mail from no-reply@ with the customer in Reply-To and in the body")
    func brazilianFormMail() throws {
        let message = try MailParser.parse(MailFixtures.websiteForm)
        let draft = InquiryExtraction.fromMail(message, number: number(.BR))
        #expect(draft.channel == .webForm)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "Ana Paula Souza", email: "ana.souza@construtora-horizonte.com.br",
                    phone: PartyNumber(raw: "(11) 98765-4321", e164: "+5511987654321"), company: "Construtora Horizonte"))
        #expect(draft.subject == "Novo contato pelo site: Orçamento")
    }

    @Test("Spanish form recognised by subject; a sender that is not a recipient is the last resort")
    func spanishFormSenderFallback() {
        let message = mail(
            from: [MailAddress(name: "Carlos Ruiz", address: "carlos@obras-ruiz.es")],
            to: [MailAddress(address: "ventas@fabrica.es")], subject: "Formulario de contacto",
            text: "Nombre: Carlos Ruiz\nEmpresa: Obras Ruiz SL\nMensaje: Presupuesto, por favor")
        let draft = InquiryExtraction.fromMail(message, number: number(.ES))
        #expect(draft.channel == .webForm)
        #expect(draft.identity == InquiryIdentity(name: "Carlos Ruiz", email: "carlos@obras-ruiz.es", company: "Obras Ruiz SL"))

        // The office's own mailbox mailing itself the form is not the customer.
        let ownMailbox = mail(
            from: [MailAddress(address: "ventas@fabrica.es")], to: [MailAddress(address: "ventas@fabrica.es")],
            subject: "Formulario de contacto", text: "Nombre: Carlos Ruiz\nTeléfono: 612 345 678")
        let own = InquiryExtraction.fromMail(ownMailbox, number: number(.ES))
        #expect(
            own.identity == InquiryIdentity(name: "Carlos Ruiz", phone: PartyNumber(raw: "612 345 678", e164: "+34612345678")))
    }

    @Test("English HTML-only form: table rows read as labelled fields")
    func englishHTMLForm() {
        let html = """
            <html><body><h2>New submission from Contact</h2><table>
            <tr><th>Name</th><td>Jane Doe</td></tr>
            <tr><th>Email</th><td><a href="mailto:jane@doe-farms.com">jane@doe-farms.com</a></td></tr>
            <tr><td><b>Phone:</b></td><td>+44 20 7946 0958</td></tr>
            <tr><td>Company</td><td>Doe Farms Ltd</td></tr>
            </table></body></html>
            """
        let message = mail(
            from: [MailAddress(name: "WordPress", address: "wordpress@manufacturer.co.uk")],
            subject: "New submission from Contact", text: MailHTMLText.readableText(html), html: html)
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .webForm)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "Jane Doe", email: "jane@doe-farms.com",
                    phone: PartyNumber(raw: "+44 20 7946 0958", e164: "+442079460958"),
                    company: "Doe Farms Ltd"))
    }

    @Test(
        "no-reply addresses are never an identity, in From or in Reply-To",
        arguments: [
            "noreply@site.ru", "no-reply@site.ru", "No_Reply+forms@site.ru", "donotreply@site.es", "do-not-reply@site.com",
            "mailer-daemon@mx.site.ru", "wordpress@site.pt", "website@site.com", "forms@site.com.br", "nao-responda@site.com.br",
        ])
    func noReplyNeverIdentity(address: String) {
        let message = mail(
            from: [MailAddress(name: "Website", address: address)],
            replyTo: [MailAddress(name: "Robot", address: "noreply@site.ru")],
            subject: "Hello", text: "Somebody wrote something without any labelled field.")
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .webForm)
        #expect(draft.identity == InquiryIdentity())
        #expect(InquiryExtraction.isAutomated(address))
    }

    @Test("form mail: Reply-To fills what the labels lack; the labels win where both have a value")
    func formReplyToFallback() {
        let onlyReplyTo = mail(
            from: [MailAddress(address: "noreply@manufacturer.ru")],
            replyTo: [MailAddress(name: "Иван Петров", address: "Ivan@Zavod.ru")],
            subject: "Новая заявка", text: "Сообщение: нужен прайс")
        #expect(
            InquiryExtraction.fromMail(onlyReplyTo, number: number(.RU)).identity
                == InquiryIdentity(name: "Иван Петров", email: "ivan@zavod.ru"))

        let labelledName = mail(
            from: [MailAddress(address: "noreply@manufacturer.ru")],
            replyTo: [MailAddress(name: "Ivan P.", address: "ivan@zavod.ru")],
            subject: "Обратная связь", text: "ФИО: Петров Иван Сергеевич")
        #expect(
            InquiryExtraction.fromMail(labelledName, number: number(.RU)).identity
                == InquiryIdentity(name: "Петров Иван Сергеевич", email: "ivan@zavod.ru"))

        // A different labelled address keeps its own owner: the Reply-To name is not borrowed for it.
        let otherAddress = mail(
            from: [MailAddress(address: "noreply@manufacturer.ru")],
            replyTo: [MailAddress(name: "Site admin", address: "admin@agency.ru")],
            subject: "Заявка с сайта", text: "E-mail: buyer@zavod.ru")
        #expect(
            InquiryExtraction.fromMail(otherAddress, number: number(.RU)).identity == InquiryIdentity(email: "buyer@zavod.ru"))
    }

    // MARK: Free mail

    @Test("Russian free mail: From is the identity, phone from the signature, not from the quoted reply")
    func russianFreeMail() {
        let message = mail(
            from: [MailAddress(name: "Иван Петров", address: "Ivan.Petrov@Uralmash-Service.ru")], subject: "Re: КП на ТВ-320",
            text: """
                Добрый день! Согласны с ценой.

                С уважением,
                Иван Петров
                Тел.: +7 (343) 123-45-67
                Компания: Уралмаш-Сервис

                пн, 4 мар. 2024 г. в 12:00, Мария <maria@manufacturer.ru>:
                > Высылаем КП.
                > Телефон: +7 495 000-00-00
                """)
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.channel == .mail)
        #expect(
            draft.identity
                == InquiryIdentity(
                    name: "Иван Петров", email: "ivan.petrov@uralmash-service.ru",
                    phone: PartyNumber(raw: "+7 (343) 123-45-67", e164: "+73431234567"), company: "Уралмаш-Сервис"))
        #expect(draft.subject == "Re: КП на ТВ-320")
        #expect(draft.text == message.textBody)
        #expect(draft.pageURL == nil)
    }

    @Test("Spanish, Portuguese and English free mail; a quoted signature is not the sender's")
    func otherFreeMail() {
        let spanish = mail(
            from: [MailAddress(name: "Lucía Gómez", address: "lucia@constructora.es")], subject: "Consulta de precio",
            text: "Hola, ¿cuánto cuesta el generador?\n\nLucía Gómez\nTeléfono: 612 345 678")
        let spanishDraft = InquiryExtraction.fromMail(spanish, number: number(.ES))
        #expect(spanishDraft.channel == .mail)
        #expect(spanishDraft.identity.phone?.e164 == "+34612345678")

        let portuguese = mail(
            from: [MailAddress(address: "oficina@cliente.pt")], subject: "Pedido",
            text: "Bom dia, uma conversa com o gerente seria útil.\n\n-----Mensagem original-----\nTelefone: 21 000 0000")
        let portugueseDraft = InquiryExtraction.fromMail(portuguese, number: number(.PT))
        #expect(portugueseDraft.channel == .mail)
        #expect(portugueseDraft.identity == InquiryIdentity(email: "oficina@cliente.pt"))

        let english = mail(
            from: [MailAddress(name: "bob@farm.co.uk", address: "bob@farm.co.uk")], subject: "Tractor parts",
            text: "Need a quote.\n\nOn Mon, 4 Mar 2024, Sales <sales@manufacturer.co.uk> wrote:\n> Phone: +44 20 7946 0000")
        let englishDraft = InquiryExtraction.fromMail(english, number: number(.RU))
        #expect(englishDraft.channel == .mail)
        #expect(englishDraft.identity == InquiryIdentity(email: "bob@farm.co.uk"))
    }

    @Test("a mail without any sender gives an anonymous draft, not a crash")
    func noSender() {
        let draft = InquiryExtraction.fromMail(MailMessage(), number: number(.RU))
        #expect(draft.channel == .mail)
        #expect(draft.identity.isAnonymous)
        #expect(draft.subject == nil)
        #expect(draft.text == "")
    }

    // MARK: Labelled fields

    @Test("labelled fields: separators, decoration, placeholders, first usable value wins")
    func labelledFields() {
        let fields = LabelledFields(
            text: """
                Имя:
                - **Имя**: Анна
                Name: Second Name
                E-mail: not an address
                Эл. почта — Anna@Example.RU
                Тел. - 8 912 345 67 89
                Организация\tЗавод
                [10:02:11] Алексей: Телефон: 000
                Company: —
                Страница: manufacturer.ru/no-scheme
                URL: https://manufacturer.ru/x
                utm_source: yandex
                """)
        #expect(fields.name == "Анна")
        #expect(fields.email == "anna@example.ru")
        #expect(fields.phone == "8 912 345 67 89")
        #expect(fields.company == "Завод")
        #expect(fields.page == "https://manufacturer.ru/x")
        #expect(fields.utm == ["utm_source": "yandex"])
        #expect(LabelledFields(text: "Телефон: (не указан)\nE-mail: -\nИмя: n/a") == LabelledFields(text: ""))
    }

    @Test("a huge body: fields are read from its top only")
    func hugeBody() {
        let filler = String(repeating: "Строка: текст письма, ещё немного текста для длины строки.\n", count: 80_000)
        let message = mail(
            from: [MailAddress(address: "noreply@manufacturer.ru")], subject: "Заявка с сайта",
            text: "Имя: Анна\n" + filler + "Телефон: 8 912 345 67 89\n")
        let draft = InquiryExtraction.fromMail(message, number: number(.RU))
        #expect(draft.identity == InquiryIdentity(name: "Анна"))
        #expect(draft.text.count == message.textBody.count)
    }

    @Test(
        "e-mail plausibility",
        arguments: [
            ("ivan@zavod.ru", true), ("ivan.petrov+crm@mail.zavod.ru", true), ("ivan@завод.рф", true),
            ("ivan", false), ("ivan@", false), ("@zavod.ru", false), ("ivan@zavod", false), ("ivan@@zavod.ru", false),
            ("iv an@zavod.ru", false), (".ivan@zavod.ru", false), ("iv..an@zavod.ru", false), ("ivan@-zavod.ru", false),
            ("ivan@zavod..ru", false), ("ivan@10.0.0.1", false), ("ivan<x>@zavod.ru", false),
        ])
    func emailPlausibility(address: String, plausible: Bool) {
        #expect(InquiryExtraction.isPlausibleEmail(address) == plausible)
    }

    // MARK: Forms posted directly

    @Test("form with nested utm, pageUrl and title")
    func formNestedUTM() throws {
        let submission = try form(
            """
            {"name": " Иван ", "email": "Ivan@Zavod.RU", "phone": "8 (912) 345-67-89", "company": "Завод",
             "message": "  Нужен прайс  ", "pageUrl": "https://manufacturer.ru/catalog", "pageTitle": "Каталог",
             "utm": {"source": "yandex", "medium": "cpc", "campaign": "lathes", "term": "", "content": "banner"}}
            """)
        let draft = try InquiryExtraction.fromForm(submission, number: number(.RU))
        #expect(
            draft
                == InquiryDraft(
                    channel: .webForm,
                    identity: InquiryIdentity(
                        name: "Иван", email: "ivan@zavod.ru", phone: PartyNumber(raw: "8 (912) 345-67-89", e164: "+79123456789"),
                        company: "Завод"),
                    subject: "Web form: Каталог", text: "Нужен прайс", pageURL: "https://manufacturer.ru/catalog",
                    utm: ["utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "lathes", "utm_content": "banner"]))
    }

    @Test("form with flat utm_ keys, page_url, a numeric phone and no e-mail")
    func formFlatUTM() throws {
        let submission = try form(
            """
            {"name": "Pedro", "phone": 34612345678, "page_url": "https://fabrica.es/contacto",
             "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "tornos", "utm_term": "torno cnc", "utm_content": "a"}
            """)
        let draft = try InquiryExtraction.fromForm(submission, number: number(.ES))
        #expect(draft.identity == InquiryIdentity(name: "Pedro", phone: PartyNumber(raw: "34612345678", e164: "+34612345678")))
        #expect(draft.subject == "Web form: https://fabrica.es/contacto")
        #expect(draft.pageURL == "https://fabrica.es/contacto")
        #expect(draft.text == "")
        #expect(
            draft.utm == [
                "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "tornos", "utm_term": "torno cnc",
                "utm_content": "a",
            ])
        #expect(try form(#"{"email": "a@b.pt"}"#).utm == [:])
        #expect(try InquiryExtraction.fromForm(try form(#"{"email": "a@b.pt"}"#), number: number(.PT)).subject == nil)
    }

    @Test(
        "a form without a usable e-mail or phone is refused",
        arguments: [
            #"{}"#, #"{"name": "Ivan", "message": "hello"}"#, #"{"email": "", "phone": "  "}"#,
            #"{"email": "-", "phone": "не указан"}"#,
            #"{"phone": "12345"}"#, #"{"phone": "call me"}"#, #"{"email": null, "phone": null}"#,
        ])
    func formMissingIdentity(json: String) throws {
        #expect(try refusal(json) == .missingIdentity)
    }

    @Test(
        "a malformed e-mail is refused even with a phone",
        arguments: [
            ("ivan.zavod.ru", "ivan.zavod.ru"), ("ivan@zavod", "ivan@zavod"), (" ivan @zavod.ru", "ivan @zavod.ru"),
        ])
    func formInvalidEmail(email: String, reported: String) throws {
        let json = #"{"phone": "+7 912 345 67 89", "email": "\#(email)"}"#
        #expect(try refusal(json) == .invalidEmail(reported))
    }

    @Test("an unreadable phone is kept raw when an e-mail identifies the sender; mailto: is tolerated")
    func formPhoneKeptRaw() throws {
        let draft = try InquiryExtraction.fromForm(
            try form(#"{"email": "mailto:Ana@Obra.com.br", "phone": "ramal 12"}"#), number: number(.BR))
        #expect(draft.identity == InquiryIdentity(email: "ana@obra.com.br", phone: PartyNumber(raw: "ramal 12", e164: nil)))
    }

    @Test("input errors read as sentences")
    func inputErrorDescriptions() {
        #expect(InquiryInputError.missingIdentity.description.contains("neither an e-mail address nor a phone number"))
        #expect(InquiryInputError.invalidEmail("ivan@").description == "\"ivan@\" is not a valid e-mail address")
        #expect(InquiryInputError.invalidEmail(String(repeating: "x", count: 500)).description.count < 150)
    }

    // MARK: Chat webhooks

    private let chatFinished = """
        {
          "event_name": "chat_finished", "widget_id": "3948",
          "visitor": {"name": "John Smith", "email": "John@Example.com", "phone": "+14084987855", "description": "Description text",
                      "number": "2198", "chats_count": 2},
          "organization": {"id": "1", "name": "Smith Farms"}, "status": null, "assigned_agent": null, "tags": [],
          "chat_id": 7607, "topic": {"topic_id": 3, "title": "Topic_1", "parent_id": 1},
          "session": {"geoip": {"country": "United States"}, "utm": "source=google|medium=cpc|content=banner|campaign=campaign_name",
                      "utm_json": {"source": "google", "campaign": "campaign_name", "content": "banner", "medium": "cpc", "term": ""},
                      "ip_addr": "208.80.152.201"},
          "page": {"url": "http://example.com/", "title": "Page title"}, "analytics": null,
          "agents": [{"id": "1", "name": "Thomas Anderson", "email": "agent@jivosite.com", "phone": "+14083682346"}],
          "chat": {"messages": [
              {"message": "Hello, do you have the TV-320 in stock?", "timestamp": 1665396476, "type": "visitor"},
              {"message": "Yes, two units.", "timestamp": 1665396483, "type": "agent", "agent_id": 1},
              {"message": "  ", "timestamp": 1665396484, "type": "visitor"},
              {"message": "Visitor left the site", "timestamp": 1665396490, "type": "system"}
            ], "blacklisted": false, "rate": null},
          "plain_messages": "", "html_messages": ""
        }
        """

    @Test("jivo chat_finished: identity, transcript lines, page, utm, dedupe id")
    func jivoChatFinished() throws {
        let event = try webhook(chatFinished)
        let draft = try #require(InquiryExtraction.fromChat(event, number: number(.RU)))
        #expect(
            draft
                == InquiryDraft(
                    channel: .chat,
                    identity: InquiryIdentity(
                        name: "John Smith", email: "john@example.com",
                        phone: PartyNumber(raw: "+14084987855", e164: "+14084987855"),
                        company: "Smith Farms"),
                    subject: "Chat 7607",
                    text: """
                        John Smith: Hello, do you have the TV-320 in stock?
                        Thomas Anderson: Yes, two units.
                        System: Visitor left the site
                        """,
                    pageURL: "http://example.com/",
                    utm: ["utm_source": "google", "utm_campaign": "campaign_name", "utm_content": "banner", "utm_medium": "cpc"]))
        #expect(InquiryExtraction.sourceID(of: event) == "chat:7607")
    }

    @Test("jivo offline_message: the message is the text, the offline id the dedupe id")
    func jivoOfflineMessage() throws {
        let event = try webhook(
            """
            {"event_name": "offline_message", "widget_id": "3948", "user_token": null,
             "visitor": {"name": "Мария", "email": "", "phone": "8 912 345 67 89", "number": 2198},
             "organization": null, "chat_id": 2026,
             "session": {"utm": "source=yandex|medium=cpc|campaign=stanki"},
             "page": {"url": "https://manufacturer.ru/", "title": "Станки"},
             "message": "  Перезвоните мне, пожалуйста  ", "offline_message_id": 1665399500726}
            """)
        let draft = try #require(InquiryExtraction.fromChat(event, number: number(.RU)))
        #expect(draft.channel == .chat)
        #expect(
            draft.identity == InquiryIdentity(name: "Мария", phone: PartyNumber(raw: "8 912 345 67 89", e164: "+79123456789")))
        #expect(draft.text == "Перезвоните мне, пожалуйста")
        #expect(draft.subject == nil)
        #expect(draft.pageURL == "https://manufacturer.ru/")
        #expect(draft.utm == ["utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "stanki"])
        #expect(InquiryExtraction.sourceID(of: event) == "offline:1665399500726")
        #expect(event.visitor?.number == "2198")
    }

    @Test(
        "events that are not an inquiry are ignored",
        arguments: [
            "chat_accepted", "chat_updated", "client_updated", "call_event", "chat_assigned", "something_new",
        ])
    func jivoIgnoredEvents(name: String) throws {
        let event = try webhook(#"{"event_name": "\#(name)", "chat_id": "7636", "visitor": {"name": "John"}}"#)
        #expect(InquiryExtraction.fromChat(event, number: number(.RU)) == nil)
        #expect(InquiryExtraction.sourceID(of: event) == "chat:7636")
    }

    @Test("sourceID: string or numeric ids, the offline id first for offline messages, nil without ids")
    func jivoSourceID() throws {
        let source = { (json: String) in InquiryExtraction.sourceID(of: try self.webhook(json)) }
        #expect(try source(#"{"event_name": "chat_finished", "chat_id": "abc-1"}"#) == "chat:abc-1")
        #expect(try source(#"{"event_name": "chat_finished", "chat_id": 12, "offline_message_id": 34}"#) == "chat:12")
        #expect(try source(#"{"event_name": "offline_message", "chat_id": 12, "offline_message_id": "34"}"#) == "offline:34")
        #expect(try source(#"{"event_name": "offline_message", "chat_id": 12}"#) == "chat:12")
        #expect(try source(#"{"event_name": "chat_finished", "offline_message_id": 34}"#) == "offline:34")
        #expect(try source(#"{"event_name": "client_updated", "client_id": "1217"}"#) == nil)
        #expect(try source(#"{"event_name": "chat_finished", "chat_id": " "}"#) == nil)
    }

    @Test("a finished chat without messages falls back to plain_messages; unnamed speakers; odd shapes tolerated")
    func jivoLenientShapes() throws {
        let plain = try webhook(
            """
            {"event_name": "chat_finished", "chat_id": 1, "visitor": null, "page": "not an object",
             "chat": {"messages": []}, "plain_messages": " Visitor: hi\\nAgent: hello "}
            """)
        let plainDraft = try #require(InquiryExtraction.fromChat(plain, number: number(.RU)))
        #expect(plainDraft.text == "Visitor: hi\nAgent: hello")
        #expect(plainDraft.identity.isAnonymous)
        #expect(plainDraft.pageURL == nil)

        let unnamed = try webhook(
            """
            {"event_name": "chat_finished", "chat_id": 2, "visitor": {"email": "not-an-address", "phone": ""},
             "session": {"utm_json": "broken", "utm": "source=vk"},
             "chat": {"messages": [{"type": "visitor", "message": "hi"}, 42, {"type": "agent", "message": "hello", "agent_id": 9}]}}
            """)
        let unnamedDraft = try #require(InquiryExtraction.fromChat(unnamed, number: number(.RU)))
        #expect(unnamedDraft.text == "Visitor: hi\nAgent: hello")
        #expect(unnamedDraft.identity == InquiryIdentity())
        #expect(unnamedDraft.utm == ["utm_source": "vk"])
    }

    @Test("a body without event_name is not the provider's webhook")
    func jivoMissingEventName() {
        #expect(throws: DecodingError.self) { try webhook(#"{"chat_id": 1}"#) }
        #expect(throws: DecodingError.self) { try webhook(#"[1, 2]"#) }
        #expect(throws: DecodingError.self) { try form(#""just a string""#) }
    }
}
