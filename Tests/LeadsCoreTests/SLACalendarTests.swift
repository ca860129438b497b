import Foundation
import Testing

@testable import LeadsCore

/// A moment written as local time with its UTC offset, so each expectation shows both the
/// office's clock and the instant ("2025-03-30T09:00:00+02:00").
private func at(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("not an ISO 8601 date: \(text)") }
    return date
}

private func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else { fatalError("unknown time zone \(identifier)") }
    return zone
}

private func time(_ hour: Int, _ minute: Int = 0) -> TimeOfDay { TimeOfDay(hour: hour, minute: minute) }

/// An example: a start, and the moment expected from it.
struct MomentExample: Sendable, CustomTestStringConvertible {
    var from: String
    var expected: String
    var testDescription: String { "\(from) → \(expected)" }
    init(_ from: String, _ expected: String) {
        self.from = from
        self.expected = expected
    }
}

/// An example of working-hours addition.
struct WorkingHoursExample: Sendable, CustomTestStringConvertible {
    var from: String
    var hours: Double
    var expected: String
    var testDescription: String { "\(from) + \(hours) h → \(expected)" }
    init(_ from: String, _ hours: Double, _ expected: String) {
        self.from = from
        self.hours = hours
        self.expected = expected
    }
}

@Suite("Leads: triage slots")
struct TriageScheduleTests {
    static let moscow = TriageSchedule(times: [time(9), time(15)], timeZone: zone("Europe/Moscow"))

    @Test(
        "the next slot is the first one strictly after the moment",
        arguments: [
            MomentExample("2025-06-05T08:00:00+03:00", "2025-06-05T09:00:00+03:00"),  // before the first slot
            MomentExample("2025-06-05T09:00:00+03:00", "2025-06-05T15:00:00+03:00"),  // exactly at a slot: the next one
            MomentExample("2025-06-05T08:59:59+03:00", "2025-06-05T09:00:00+03:00"),
            MomentExample("2025-06-05T12:30:00+03:00", "2025-06-05T15:00:00+03:00"),  // between slots
            MomentExample("2025-06-05T15:00:00+03:00", "2025-06-06T09:00:00+03:00"),  // at the last slot: tomorrow
            MomentExample("2025-06-05T22:00:00+03:00", "2025-06-06T09:00:00+03:00"),  // after the last slot
            MomentExample("2025-06-06T01:00:00+03:00", "2025-06-06T09:00:00+03:00"),  // still the previous day in UTC
            MomentExample("2025-06-07T16:00:00+03:00", "2025-06-08T09:00:00+03:00"),  // triage runs at weekends too
            MomentExample("2025-12-31T23:59:59+03:00", "2026-01-01T09:00:00+03:00"),  // new year
            MomentExample("2024-02-28T20:00:00+03:00", "2024-02-29T09:00:00+03:00"),  // leap day
        ])
    func nextSlot(example: MomentExample) {
        #expect(Self.moscow.nextSlot(after: at(example.from)) == at(example.expected))
    }

    @Test("the order of the configured times does not matter")
    func unsortedTimes() {
        let schedule = TriageSchedule(times: [time(15), time(9)], timeZone: zone("Europe/Moscow"))
        #expect(schedule.nextSlot(after: at("2025-06-05T08:00:00+03:00")) == at("2025-06-05T09:00:00+03:00"))
        #expect(schedule.nextSlot(after: at("2025-06-05T10:00:00+03:00")) == at("2025-06-05T15:00:00+03:00"))
    }

    @Test("one slot a day")
    func singleSlot() {
        let schedule = TriageSchedule(times: [time(10, 30)], timeZone: zone("America/Sao_Paulo"))
        #expect(schedule.nextSlot(after: at("2025-06-05T10:29:00-03:00")) == at("2025-06-05T10:30:00-03:00"))
        #expect(schedule.nextSlot(after: at("2025-06-05T10:30:00-03:00")) == at("2025-06-06T10:30:00-03:00"))
    }

    static let madrid = TriageSchedule(times: [time(9), time(15)], timeZone: zone("Europe/Madrid"))

    @Test(
        "slots keep their wall-clock time across DST changes (Europe/Madrid)",
        arguments: [
            // Clocks go forward on 2025-03-30 at 02:00: the morning slot is 23 hours after the last one.
            MomentExample("2025-03-29T16:00:00+01:00", "2025-03-30T09:00:00+02:00"),
            MomentExample("2025-03-30T09:00:00+02:00", "2025-03-30T15:00:00+02:00"),
            // Clocks go back on 2025-10-26 at 03:00: 25 hours.
            MomentExample("2025-10-25T16:00:00+02:00", "2025-10-26T09:00:00+01:00"),
            MomentExample("2025-10-26T09:30:00+01:00", "2025-10-26T15:00:00+01:00"),
        ])
    func daylightSaving(example: MomentExample) {
        #expect(Self.madrid.nextSlot(after: at(example.from)) == at(example.expected))
    }

    @Test("a slot the clocks skip moves forward by the gap; a repeated one counts once")
    func skippedAndRepeatedSlots() {
        let night = TriageSchedule(times: [time(2, 30)], timeZone: zone("Europe/Madrid"))
        // 02:30 does not exist on 2025-03-30: the slot is at 03:30 summer time.
        #expect(night.nextSlot(after: at("2025-03-30T01:00:00+01:00")) == at("2025-03-30T03:30:00+02:00"))
        // 02:30 happens twice on 2025-10-26: the first occurrence is the slot…
        #expect(night.nextSlot(after: at("2025-10-26T00:00:00+02:00")) == at("2025-10-26T02:30:00+02:00"))
        // …and the second one is not another slot.
        #expect(night.nextSlot(after: at("2025-10-26T02:30:00+02:00")) == at("2025-10-27T02:30:00+01:00"))
        #expect(night.nextSlot(after: at("2025-10-26T02:45:00+01:00")) == at("2025-10-27T02:30:00+01:00"))
    }

    @Test("a zone that skipped midnight itself (America/Sao_Paulo, 2018-11-04)")
    func skippedMidnight() {
        let schedule = TriageSchedule(times: [time(0), time(12)], timeZone: zone("America/Sao_Paulo"))
        // 00:00 did not exist that day: clocks went from 23:59:59 -03 to 01:00 -02.
        #expect(schedule.nextSlot(after: at("2018-11-03T20:00:00-03:00")) == at("2018-11-04T01:00:00-02:00"))
        #expect(schedule.nextSlot(after: at("2018-11-04T01:00:00-02:00")) == at("2018-11-04T12:00:00-02:00"))
        // Brazil has had no DST since 2019.
        #expect(schedule.nextSlot(after: at("2025-11-03T20:00:00-03:00")) == at("2025-11-04T00:00:00-03:00"))
    }

    @Test("parsing keeps the times sorted")
    func parsing() throws {
        let schedule = try TriageSchedule.parse(times: "15:00, 09:00", timeZone: " Europe/Moscow ")
        #expect(schedule == TriageSchedule(times: [time(9), time(15)], timeZone: zone("Europe/Moscow")))
        #expect(try TriageSchedule.parse(times: "9:30", timeZone: "UTC").times == [time(9, 30)])
    }

    @Test(
        "bad triage configuration is refused with the offending value",
        arguments: [
            ("", "Europe/Moscow", SLAConfigurationError.noTriageTimes),
            ("  ", "Europe/Moscow", .noTriageTimes),
            ("09:00,,15:00", "Europe/Moscow", .invalidTime("")),
            ("09:00,", "Europe/Moscow", .invalidTime("")),
            ("9am", "Europe/Moscow", .invalidTime("9am")),
            ("09:00;15:00", "Europe/Moscow", .invalidTime("09:00;15:00")),
            ("09:00,24:00", "Europe/Moscow", .invalidTime("24:00")),
            ("09:00,15:00,09:00", "Europe/Moscow", .duplicateTriageTime(time(9))),
            ("09:00,9:00", "Europe/Moscow", .duplicateTriageTime(time(9))),
            ("09:00,15:00", "Mars/Olympus_Mons", .unknownTimeZone("Mars/Olympus_Mons")),
            ("09:00,15:00", "", .unknownTimeZone("")),
        ])
    func badConfiguration(times: String, timeZone: String, error: SLAConfigurationError) {
        #expect(throws: error) { try TriageSchedule.parse(times: times, timeZone: timeZone) }
    }
}

@Suite("Leads: working hours")
struct WorkingCalendarTests {
    /// 09:00–18:00 Monday to Friday. 2025-06-06 is a Friday.
    static let moscow = WorkingCalendar(days: Set(1...5), opens: time(9), closes: time(18), timeZone: zone("Europe/Moscow"))

    @Test(
        "working hours skip nights and weekends (Europe/Moscow, 09:00–18:00 Mon–Fri)",
        arguments: [
            WorkingHoursExample("2025-06-06T17:00:00+03:00", 4, "2025-06-09T12:00:00+03:00"),  // Friday evening → Monday
            WorkingHoursExample("2025-06-07T10:00:00+03:00", 4, "2025-06-09T13:00:00+03:00"),  // Saturday: from Monday opening
            WorkingHoursExample("2025-06-08T23:00:00+03:00", 4, "2025-06-09T13:00:00+03:00"),  // Sunday night
            WorkingHoursExample("2025-06-09T10:00:00+03:00", 4, "2025-06-09T14:00:00+03:00"),  // within one day
            WorkingHoursExample("2025-06-09T07:00:00+03:00", 4, "2025-06-09T13:00:00+03:00"),  // before opening
            WorkingHoursExample("2025-06-09T19:00:00+03:00", 4, "2025-06-10T13:00:00+03:00"),  // after closing
            WorkingHoursExample("2025-06-09T14:00:00+03:00", 4, "2025-06-09T18:00:00+03:00"),  // ends exactly at closing
            WorkingHoursExample("2025-06-09T10:00:00+03:00", 20, "2025-06-11T12:00:00+03:00"),  // 8 + 9 + 3
            WorkingHoursExample("2025-06-06T10:00:00+03:00", 24, "2025-06-10T16:00:00+03:00"),  // 8 + weekend + 9 + 7
            WorkingHoursExample("2025-06-09T09:00:00+03:00", 90, "2025-06-20T18:00:00+03:00"),  // ten full days
            WorkingHoursExample("2025-06-09T10:00:00+03:00", 1.5, "2025-06-09T11:30:00+03:00"),  // fractional hours
            WorkingHoursExample("2025-06-09T10:00:00+03:00", 0.25, "2025-06-09T10:15:00+03:00"),
            WorkingHoursExample("2025-06-09T17:45:00+03:00", 0.5, "2025-06-10T09:15:00+03:00"),
            WorkingHoursExample("2025-06-09T10:00:30+03:00", 1, "2025-06-09T11:00:30+03:00"),  // seconds are kept
            WorkingHoursExample("2025-12-31T17:00:00+03:00", 2, "2026-01-01T10:00:00+03:00"),  // no holidays modelled
        ])
    func addingWorkingHours(example: WorkingHoursExample) {
        #expect(Self.moscow.adding(workingHours: example.hours, to: at(example.from)) == at(example.expected))
    }

    @Test(
        "zero hours: the moment itself inside working time, else the next opening",
        arguments: [
            MomentExample("2025-06-09T10:00:00+03:00", "2025-06-09T10:00:00+03:00"),
            MomentExample("2025-06-09T09:00:00+03:00", "2025-06-09T09:00:00+03:00"),  // opening is inside
            MomentExample("2025-06-09T08:00:00+03:00", "2025-06-09T09:00:00+03:00"),
            MomentExample("2025-06-09T18:00:00+03:00", "2025-06-10T09:00:00+03:00"),  // closing is outside
            MomentExample("2025-06-07T10:00:00+03:00", "2025-06-09T09:00:00+03:00"),  // Saturday
        ])
    func zeroHours(example: MomentExample) {
        #expect(Self.moscow.adding(workingHours: 0, to: at(example.from)) == at(example.expected))
    }

    @Test("a six-day week")
    func sixDayWeek() throws {
        let calendar = try WorkingCalendar.parse(days: "1-6", hours: "10:00-16:00", timeZone: "America/Sao_Paulo")
        #expect(
            calendar.adding(workingHours: 4, to: at("2025-06-06T14:00:00-03:00")) == at("2025-06-07T12:00:00-03:00"))
        #expect(
            calendar.adding(workingHours: 4, to: at("2025-06-07T14:00:00-03:00")) == at("2025-06-09T12:00:00-03:00"))
    }

    static let madrid = WorkingCalendar(days: Set(1...5), opens: time(9), closes: time(18), timeZone: zone("Europe/Madrid"))

    @Test(
        "a weekend with a DST change still gives the wall-clock deadline (Europe/Madrid)",
        arguments: [
            WorkingHoursExample("2025-03-28T17:00:00+01:00", 4, "2025-03-31T12:00:00+02:00"),  // clocks forward on Sunday
            WorkingHoursExample("2025-10-24T17:00:00+02:00", 4, "2025-10-27T12:00:00+01:00"),  // clocks back on Sunday
            WorkingHoursExample("2025-03-29T12:00:00+01:00", 0, "2025-03-31T09:00:00+02:00"),
        ])
    func daylightSaving(example: WorkingHoursExample) {
        #expect(Self.madrid.adding(workingHours: example.hours, to: at(example.from)) == at(example.expected))
    }

    @Test("a DST change inside working hours counts elapsed time, not the clock")
    func daylightSavingInsideWorkingHours() {
        let allDay = WorkingCalendar(days: Set(1...7), opens: time(0), closes: time(23, 59), timeZone: zone("Europe/Madrid"))
        // 01:00 + 3 h of real time is 05:00 on the clock: 02:00–03:00 never happened.
        #expect(allDay.adding(workingHours: 3, to: at("2025-03-30T01:00:00+01:00")) == at("2025-03-30T05:00:00+02:00"))
        // 01:00 + 3 h is 03:00 on the clock the second time round.
        #expect(allDay.adding(workingHours: 3, to: at("2025-10-26T01:00:00+02:00")) == at("2025-10-26T03:00:00+01:00"))
    }

    @Test("an opening time the clocks skip moves forward (America/Sao_Paulo, 2018-11-04)")
    func skippedOpening() {
        let nights = WorkingCalendar(days: Set(1...7), opens: time(0), closes: time(6), timeZone: zone("America/Sao_Paulo"))
        // Saturday 23:00 is after hours; Sunday "opens" at 00:00, which was 01:00 summer time.
        #expect(nights.adding(workingHours: 1, to: at("2018-11-03T23:00:00-03:00")) == at("2018-11-04T02:00:00-02:00"))
        let office = WorkingCalendar(days: Set(1...5), opens: time(9), closes: time(18), timeZone: zone("America/Sao_Paulo"))
        #expect(office.adding(workingHours: 4, to: at("2018-11-02T17:00:00-03:00")) == at("2018-11-05T12:00:00-02:00"))
        #expect(office.adding(workingHours: 4, to: at("2025-06-06T17:00:00-03:00")) == at("2025-06-09T12:00:00-03:00"))
    }

    @Test("day lists and ranges mean the same")
    func parsing() throws {
        let range = try WorkingCalendar.parse(days: "1-5", hours: "09:00-18:00", timeZone: "Europe/Moscow")
        #expect(range == Self.moscow)
        #expect(try WorkingCalendar.parse(days: "1,2,3,4,5", hours: "09:00-18:00", timeZone: "Europe/Moscow") == range)
        #expect(try WorkingCalendar.parse(days: " 1-3, 4,5 ", hours: " 9:00 - 18:00 ", timeZone: "Europe/Moscow") == range)
        #expect(try WorkingCalendar.parse(days: "6-7", hours: "10:00-14:30", timeZone: "UTC").days == [6, 7])
        #expect(try WorkingCalendar.parse(days: "7", hours: "00:00-23:59", timeZone: "UTC").closes == time(23, 59))
    }

    @Test(
        "bad working-time configuration is refused with the offending value",
        arguments: [
            ("", "09:00-18:00", "Europe/Moscow", SLAConfigurationError.noWorkingDays),
            (" ", "09:00-18:00", "Europe/Moscow", .noWorkingDays),
            ("0-5", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("0-5")),
            ("1-8", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("1-8")),
            ("5-1", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("5-1")),
            ("mon-fri", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("mon-fri")),
            ("1-", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("1-")),
            ("1,,2", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("1,,2")),
            ("1-2-3", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("1-2-3")),
            ("12", "09:00-18:00", "Europe/Moscow", .invalidWorkingDays("12")),
            ("1-5", "9-18", "Europe/Moscow", .invalidWorkingHours("9-18")),
            ("1-5", "09:00–18:00", "Europe/Moscow", .invalidWorkingHours("09:00–18:00")),  // an en dash
            ("1-5", "09:00", "Europe/Moscow", .invalidWorkingHours("09:00")),
            ("1-5", "09:00-24:00", "Europe/Moscow", .invalidWorkingHours("09:00-24:00")),
            ("1-5", "18:00-09:00", "Europe/Moscow", .workingHoursOutOfOrder(opens: time(18), closes: time(9))),
            ("1-5", "09:00-09:00", "Europe/Moscow", .workingHoursOutOfOrder(opens: time(9), closes: time(9))),
            ("1-5", "09:00-18:00", "Moscow", .unknownTimeZone("Moscow")),
        ])
    func badConfiguration(days: String, hours: String, timeZone: String, error: SLAConfigurationError) {
        #expect(throws: error) { try WorkingCalendar.parse(days: days, hours: hours, timeZone: timeZone) }
    }
}

@Suite("Leads: SLA configuration values")
struct SLAValueTests {
    @Test(
        "times of day parse from HH:MM",
        arguments: [
            ("09:00", TimeOfDay?.some(time(9))), ("9:05", time(9, 5)), (" 23:59 ", time(23, 59)), ("00:00", time(0)),
            ("", nil), ("24:00", nil), ("12:60", nil), ("9", nil), ("09:0", nil), ("009:00", nil), ("09-00", nil),
            ("+9:00", nil), ("-1:00", nil), ("09:00:00", nil), ("ab:cd", nil), ("٠٩:٠٠", nil),
        ])
    func timeOfDay(text: String, expected: TimeOfDay?) {
        #expect(TimeOfDay.parse(text) == expected)
    }

    @Test("times of day print as HH:MM and sort by the clock")
    func timeOfDayOrderAndText() {
        #expect(time(9, 5).description == "09:05")
        #expect(time(15).description == "15:00")
        #expect(time(0).description == "00:00")
        #expect([time(15), time(9, 30), time(9)].sorted() == [time(9), time(9, 30), time(15)])
    }

    @Test("configuration errors name the bad value")
    func errorTexts() {
        #expect(
            SLAConfigurationError.invalidTime("9am").description
                == "\"9am\" is not a time of day; expected HH:MM between 00:00 and 23:59")
        #expect(SLAConfigurationError.duplicateTriageTime(time(9)).description == "triage time 09:00 is listed more than once")
        #expect(
            SLAConfigurationError.unknownTimeZone("Moscow").description
                == "\"Moscow\" is not a known time zone; expected an IANA name such as \"Europe/Moscow\"")
        #expect(SLAConfigurationError.invalidWorkingDays("1-8").description.hasPrefix("\"1-8\" is not a list of working days"))
        #expect(SLAConfigurationError.invalidWorkingHours("9-18").description.hasPrefix("\"9-18\" is not a working-hours range"))
        #expect(
            SLAConfigurationError.workingHoursOutOfOrder(opens: time(18), closes: time(9)).description
                == "working hours open at 18:00 but close at 09:00; the opening time must be before the closing time")
        #expect(SLAConfigurationError.noTriageTimes.description.contains("no triage times"))
        #expect(SLAConfigurationError.noWorkingDays.description.contains("no working days"))
    }

    @Test("local days: calendar arithmetic and ISO weekdays")
    func localDays() {
        #expect(LocalDay(year: 1970, month: 1, day: 1).number == 0)
        #expect(LocalDay(year: 1970, month: 1, day: 1).isoWeekday == 4)  // Thursday
        #expect(LocalDay(year: 2025, month: 6, day: 6).isoWeekday == 5)  // Friday
        #expect(LocalDay(year: 1969, month: 12, day: 28).isoWeekday == 7)  // Sunday, before day 0
        #expect(LocalDay(year: 2024, month: 2, day: 28).next.civil == (2024, 2, 29))
        #expect(LocalDay(year: 2025, month: 12, day: 31).next.civil == (2026, 1, 1))
        for number in stride(from: -800_000, through: 800_000, by: 997) {
            let (year, month, day) = LocalDay(number: number).civil
            #expect(LocalDay(year: year, month: month, day: day).number == number)
        }
    }
}

@Suite("Leads settings from the environment")
struct LeadsSettingsTests {
    @Test("defaults: triage 09:00 and 15:00 Moscow, Mon–Fri 09:00–18:00, 4 working hours")
    func defaults() throws {
        let settings = try LeadsSettings.fromEnvironment([:])
        #expect(settings.triage.times.map(\.description) == ["09:00", "15:00"])
        #expect(settings.calendar.days == [1, 2, 3, 4, 5])
        #expect(settings.responseHours == 4)
    }

    @Test("a bad value names its variable", arguments: [
        ("DMS_LEADS_TRIAGE_TIMES", "9am"), ("DMS_LEADS_TIME_ZONE", "Mars/Base"), ("DMS_LEADS_WORKING_DAYS", "mon-fri"),
        ("DMS_LEADS_WORKING_HOURS", "18:00-09:00"), ("DMS_LEADS_RESPONSE_HOURS", "-1"), ("DMS_LEADS_DEADLINE_CHECK_MS", "0"),
    ])
    func namesTheVariable(name: String, value: String) {
        #expect {
            try LeadsSettings.fromEnvironment([name: value])
        } throws: { error in
            "\(error)".contains(name)
        }
    }
}
