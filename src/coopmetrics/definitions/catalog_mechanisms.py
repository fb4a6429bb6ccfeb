"""Indicator declarations of the cooperation mechanisms (issue 14): bases, agreements, events,
committees, services, teacher roles (data only).
"""

from __future__ import annotations

from .catalog import _FT, _PROF, _SRC_A75, _prop, _ratio
from .records import Filter, Indicator, Measure

# --- cooperation mechanisms (issue 14): bases, agreements, events, committees, services, teacher roles ------
# Each record cites the seed document that asks for the figure (shared/seeds/, file number and a literal
# quote) and, where one exists, the state-platform table. Counting conventions are the library's [U].
# their units and the kinds they fit: definitions/labels.py and definitions/kinds.py

_SEED001 = "seed 001 (traditional characters) "
_CONV = "count is a library convention [U]"


def _mcount(id: str, zh: str, en: str, unit: str, table: str, where: tuple[Filter, ...], source: str,
            distinct: str | None = None, notes: str = "") -> Indicator:
    """A count of rows (or of distinct ``distinct`` values) meeting ``where`` in a mechanism table."""
    num = Measure("count_distinct", distinct, where) if distinct else Measure("count", where=where)
    return Indicator(id, zh, en, unit, "count", table, numerator=num, denominator=None, direction="higher",
                     target=None, edition="library convention (issue 14)", source=source, grade="U",
                     provisional=True, notes=notes or "Rows for groups without the table are missing_input.")


def _msum(id: str, zh: str, en: str, unit: str, table: str, column: str, source: str,
          where: tuple[Filter, ...] = (), notes: str = "") -> Indicator:
    """A total of ``column`` over the rows meeting ``where`` (missing values count as 0)."""
    return Indicator(id, zh, en, unit, "sum", table, numerator=Measure("sum", column, where), denominator=None,
                     direction="higher", target=None, edition="library convention (issue 14)", source=source,
                     grade="U", provisional=True, notes=notes or "Missing values count as 0 in the total.")


def _is(column: str, value: str) -> Filter:
    return Filter(column, "eq", value)


_EPT = _is("category", "enterprise_part_time")
_SVC = "质量年报 服务贡献表 [U]; "
_BASE_SRC = "状态数据 A4-1 校内实践基地表 / A4-2 校外实习实训基地表 [V-2 tables]; "

#: Indicators of the cooperation mechanisms (issue 14).
MECHANISMS: tuple[Indicator, ...] = (
    # --- teachers: placements, the under-40 rule, roles (职务互兼) ---------------------------------
    _prop("teacher_practice_2m_share", "年度企业实践两个月以上专业课教师比例",
          "Professional teachers with two months or more in firms this year", "teachers",
          (_FT, _PROF, Filter("practice_days_year", "notnull")), (Filter("practice_days_year", "ge", 60),),
          direction="higher", target=None, edition="seed 001 rule (convention: 2 months = 60 days)",
          source=_SEED001 + "“每學年要選派10﹪的教師到企業一線參加2個月以上的實踐鍛煉” [U]; 状态数据 本学年企业工作(天) [V-2]",
          grade="U", provisional=True,
          notes="Denominator: full-time professional teachers with 本学年企业工作天数 recorded; the seed's 10 % "
                "target lives in the rules file (coopmetrics.rules)."),
    _prop("young_teacher_practice_rate", "40岁以下专业课教师两年企业实践两个月达标率",
          "Under-40 professional teachers with two months in firms in two years", "teachers",
          (_FT, _PROF, Filter("birth_year", "age_lt", 40), Filter("practice_days_2y", "notnull")),
          (Filter("practice_days_2y", "ge", 60),),
          direction="higher", target=None, edition="seed 004 rule (convention: age = year − birth year)",
          source="seed 004 “学校四十周岁以下的专业课教师和实习指导教师每两年深入企业实践两个月” [U]",
          grade="U", provisional=True,
          notes="Under 40 means year − birth year < 40 (the age reached in the year); 60 days in the two "
                "years ending with the record's year. Internship supervisors count when flagged 专业课教师."),
    _mcount("enterprise_practitioner_count", "企业一线兼职教师人数", "Practitioners from firms teaching",
            "persons", "teachers", (_EPT,),
            _SEED001 + "“每個專業至少聘請或調進3個以上生產和服務第一線的高技術人員和能工巧匠” [U]; "
            "状态数据 A6-3 校外兼职教师 [V-2]",
            notes="Teacher rows of category 企业兼职 (one per teacher and year)."),
    _mcount("enterprise_program_leader_count", "企业人员任专业带头人人数", "Firm staff as programme leaders",
            "persons", "teachers", (_EPT, Filter("is_program_leader", "is_true")),
            "seed 000 “专业带头人、骨干教师”, “人员互派、职务互兼” [U]; 状态数据 A7-1-2 专业带头人表 [V-2]"),
    _mcount("enterprise_backbone_teacher_count", "企业人员任骨干教师人数", "Firm staff as backbone teachers",
            "persons", "teachers", (_EPT, Filter("is_backbone", "is_true")),
            "seed 000 “专业带头人、骨干教师” [U]; 状态数据 是否骨干教师 [V-2]"),
    _mcount("teacher_enterprise_adviser_count", "专任教师任企业技术顾问人数", "Teachers serving as firms' advisers",
            "persons", "teachers", (_FT, Filter("enterprise_adviser", "is_true")),
            "seed 000 “人员互派、职务互兼” [U]; 状态数据 A6-1-3 社会兼职 [V-2]"),
    _mcount("skill_master_count", "技能大师（能工巧匠）人数", "Skill masters", "persons", "teachers",
            (Filter("skill_master", "is_true"),), "seed 002 “校企共建技能大师工作室” [U]"),
    # --- internships by type ---------------------------------------------------------------------
    _mcount("cognitive_internship_students", "认识实习（见习）学生数", "Students in observation internships",
            "persons", "internships", (_is("internship_type", "cognitive"),),
            _SEED001 + "“每學期安排學生到企業行業參觀和見習兩周以上” [U]", distinct="student_id"),
    _mcount("shadowing_internship_students", "跟岗实习学生数", "Students in shadowing internships", "persons",
            "internships", (_is("internship_type", "shadowing"),),
            "《职业学校学生实习管理规定》(2021) 认识实习/岗位实习 [V-2]; 跟岗实习 (2016 规定) [V]",
            distinct="student_id"),
    _mcount("work_study_students", "工学交替学生数", "Students in work-study alternation", "persons",
            "internships", (_is("internship_type", "work_study"),),
            _SEED001 + "“開展為期3個月的工學交替活動” [U]; seed 000 “工学交替” [U]", distinct="student_id"),
    # --- enterprises ledger: co-investment and co-development -------------------------------------
    _msum("school_coinvestment", "学校共建投入", "School co-investment", "yuan", "enterprises",
          "school_investment", "seed 000 “学院投入307万元” beside “企业投入1326万元” [U]"),
    _msum("co_courses_total", "校企共同开发课程数", "Courses co-developed with firms", "courses", "enterprises",
          "co_courses", _SEED001 + "“每個專業必須實施1-2門校企合作開發課程建設工作” [U]; " + _SRC_A75),
    _msum("co_textbooks_total", "校企共同开发教材数", "Textbooks co-developed with firms", "textbooks",
          "enterprises", "co_textbooks",
          _SEED001 + "“每個專業必須實施1-2門校企合作開發校本教材建設工作” [U]; " + _SRC_A75),
    _msum("co_bases_total", "共建实训基地数（台账）", "Co-built bases (ledger)", "bases", "enterprises", "co_bases",
          "seed 002 “共建校生产性实训基地11个” [U]; ledger column (no state field) [U]",
          notes="Sum over ledger rows: a base shared by two firms counts twice; see base_count for distinct bases."),
    # --- graduates and enrolment: certificates and skill levels ----------------------------------
    _prop("certificate_rate", "毕业生获职业资格（技能等级）证书比例", "Graduates with a vocational certificate",
          "graduates", (Filter("certificate", "notnull"),), (Filter("certificate", "is_true"),),
          direction="higher", target=None, edition="双证书 share (convention)",
          source=_SEED001 + "“職業資格證書制度” [U]; 状态数据 A7-3-2 应届毕业生获证 [V-2]", grade="U", provisional=True),
    _prop("cert_1x_rate", "毕业生获1+X证书比例", "Graduates with a 1+X certificate", "graduates",
          (Filter("cert_1x", "notnull"),), (Filter("cert_1x", "is_true"),),
          direction="higher", target=None, edition="1+X share (convention)",
          source="ODS_GZXZSSJ 1+X证书 [V]; share is a library convention [U]", grade="U", provisional=True),
    _ratio("advanced_level_student_share", "高级工及预备技师在校生比例", "Share of students at 高级工 level or above",
           "share", Measure("sum", "advanced_students", table="enrollment"),
           Measure("sum", "students", (Filter("advanced_students", "notnull"),), table="enrollment"),
           direction="higher", target=None, edition="seed 004 rule (technician colleges)",
           source="seed 004 “高级技工和预备技师在校生的比例到达40以上” [U]", grade="U", provisional=True,
           notes="Rows without 高级工及以上在校生数 leave the denominator too."),
    # --- bases ---------------------------------------------------------------------------------------
    _mcount("base_count", "共建实训基地数", "Co-built practice bases", "bases", "bases", (),
            _BASE_SRC + "seed 001 “共同建立校內外實訓基地” [U]", distinct="base",
            notes="Distinct base names."),
    _mcount("on_campus_base_count", "校内实训基地数", "On-campus bases", "bases", "bases",
            (_is("location", "on_campus"),), _BASE_SRC + "seed 002 “共建校生产性实训基地11个” [U]", distinct="base"),
    _mcount("off_campus_base_count", "校外实习实训基地数", "Off-campus bases", "bases", "bases",
            (_is("location", "off_campus"),), _BASE_SRC + "seed 002 “共建校外顶岗实习实训基地55个” [U]",
            distinct="base"),
    _mcount("productive_base_count", "生产性实训基地数", "Productive bases", "bases", "bases",
            (Filter("productive", "is_true"),), "seed 002 “共建校生产性实训基地11个” [U]", distinct="base"),
    _mcount("factory_in_school_count", "校中厂数", "Factories in school (校中厂)", "bases", "bases",
            (_is("model", "factory_in_school"),), "seed 002 “开展了共建“校中厂”和“厂中校”等合作模式” [U]",
            distinct="base"),
    _mcount("school_in_factory_count", "厂中校数", "Schools in factories (厂中校)", "bases", "bases",
            (_is("model", "school_in_factory"),), "seed 002 “如校中厂、厂中校、生产实训中心” [U]", distinct="base"),
    _mcount("production_center_count", "生产实训中心（教学工厂）数", "Production training centres", "bases",
            "bases", (_is("model", "production_center"),),
            "seed 002 “如校中厂、厂中校、生产实训中心” [U]; seed 000 “生产性教学工厂” [U]", distinct="base"),
    _mcount("master_studio_count", "技能大师工作室数", "Skill-master studios", "bases", "bases",
            (_is("model", "master_studio"),), "seed 002 “校企共建技能大师工作室” [U]", distinct="base"),
    _mcount("substantive_base_count", "实质性合作基地数", "Bases with substantive cooperation", "bases", "bases",
            (Filter("substantive", "is_true"),), _SEED001 + "“每一專業方向要至少建立兩至三家有實質性合作” [U]",
            distinct="base", notes="Substantive as flagged by the school (是否实质性合作)."),
    _mcount("demonstration_base_count", "校企合作示范基地数", "Demonstration bases", "bases", "bases",
            (Filter("demonstration", "is_true"),), _SEED001 + "“力爭年內建成校企合作示范基地10家” [U]",
            distinct="base"),
    _mcount("base_partner_count", "共建基地的合作企业数", "Partner firms with a co-built base", "enterprises",
            "bases", (), "seed 002 “先后与148家企业开展合作,其中可作为校外教学实验教学基地的39家” [U]",
            distinct="enterprise"),
    _msum("base_student_visits", "基地年接待学生人次", "Student visits to bases", "person_times", "bases",
          "student_visits", _BASE_SRC + _CONV),
    _msum("base_annual_output", "基地年产值", "Annual output of bases", "yuan", "bases", "annual_output",
          "seed 002 “年产值 2 0 0 0余 万” [U]"),
    _msum("base_school_investment", "基地学校投入", "School investment in bases", "yuan", "bases",
          "school_investment", "seed 000 “学院投入307万元” [U]"),
    _msum("base_enterprise_investment", "基地企业投入", "Enterprise investment in bases", "yuan", "bases",
          "enterprise_investment", "seed 000 “企业投入1326万元” [U]"),
    _ratio("base_investment_leverage", "企业投入与学校投入之比", "Enterprise per school yuan invested in bases",
           "times", Measure("sum", "enterprise_investment", (Filter("school_investment", "notnull"),
                                                             Filter("enterprise_investment", "notnull")), "bases"),
           Measure("sum", "school_investment", (Filter("school_investment", "notnull"),
                                                 Filter("enterprise_investment", "notnull")), "bases"),
           direction="higher", target=None, edition="library convention (issue 14)",
           source="seed 000 “学院投入307万元” / “企业投入1326万元” (= 4.32) [U]", grade="U", provisional=True,
           notes="Bases with both amounts recorded; delta-method interval over bases."),
    # --- agreements ------------------------------------------------------------------------------
    _mcount("agreement_count", "校企合作协议（含意向书）份数", "Agreements incl. letters of intent", "agreements",
            "agreements", (), "seed 001 “合作企業實行掛牌,簽訂協議” [U]"),
    _mcount("intent_count", "校企合作意向书份数", "Letters of intent", "agreements", "agreements",
            (_is("agreement_type", "intent"),), "seed 003 “签订了131份校企合作意向书” [U]"),
    _mcount("agreement_partner_count", "签订协议（含意向书）的企业数", "Firms with an agreement or letter of intent",
            "enterprises",
            "agreements", (), "seed 001 “合作企業實行掛牌,簽訂協議” [U]", distinct="enterprise"),
    _mcount("plaque_partner_count", "挂牌合作企业数", "Partner firms with a plaque (挂牌)", "enterprises",
            "agreements", (Filter("plaque", "is_true"),), "seed 001 “合作企業實行掛牌,簽訂協議” [U]",
            distinct="enterprise"),
    _mcount("active_agreement_count", "有效（在期或续签）协议份数", "Agreements in force", "agreements",
            "agreements", (Filter("status", "in", ("active", "renewed")),),
            "seed 000 “校企合作的长效机制” [U]"),
    _prop("agreement_fulfilment_rate", "合作协议履约率", "Agreements honoured", "agreements",
          (Filter("fulfilment", "notnull"),), (_is("fulfilment", "honoured"),),
          direction="higher", target=None, edition="履约 / 已评价协议 (convention)",
          source="seed 004 “了解校企双方合作协议的履约情况” [U]", grade="U", provisional=True,
          notes="Among agreements whose fulfilment was assessed; 部分履约 counts as not honoured."),
    # --- events and committees ---------------------------------------------------------------------
    _mcount("governance_meeting_count", "校企合作治理会议次数", "Governance meetings", "events", "events",
            (Filter("event_type", "in", ("committee_meeting", "coop_committee_meeting", "regular_meeting")),),
            "seed 001 “成立專業教學指導委員會” [U]; seed 004 “实行例会制度” [U]"),
    _mcount("enterprise_visit_count", "走访企业次数", "Visits to firms", "events", "events",
            (_is("event_type", "visit"),), "seed 003 “全市职业学校走访企业1077家” [U]; ODS_FQTGSJ 访企拓岗 [V]"),
    _mcount("enterprises_visited", "走访企业家数", "Firms visited", "enterprises", "events",
            (_is("event_type", "visit"),), "seed 003 “全市职业学校走访企业1077家” [U]", distinct="enterprise"),
    _mcount("forum_count", "校企座谈会（联谊会）场次", "Forums with firms", "events", "events",
            (_is("event_type", "forum"),), "seed 003 “10场校企座谈会” [U]; seed 001 “舉辦校企聯誼會及企業家報告會” [U]"),
    _msum("forum_enterprises", "参加座谈会企业数（家次）", "Firms attending forums", "enterprises", "events",
          "enterprises", "seed 003 “全市118家企业参加了校企座谈会” [U]", where=(_is("event_type", "forum"),),
          notes="Sum of 参与企业数 over forums (a firm at two forums counts twice)."),
    _mcount("lecture_count", "企业家进校园（讲座）场次", "Lectures by entrepreneurs", "events", "events",
            (_is("event_type", "lecture"),), _SEED001 + "“百名企業家進校園、百名教師進企業” [U]"),
    _mcount("graduate_followup_count", "实习生与毕业生回访次数", "Follow-up visits to graduates' employers",
            "events", "events", (_is("event_type", "followup"),),
            _SEED001 + "“定期組織人員到企業進行實習生、畢業生用工回訪” [U]"),
    _prop("committee_enterprise_member_share", "委员会中企业成员比例", "Firm members' share of committee members",
          "committees", (Filter("member_type", "notnull"),), (_is("member_type", "enterprise"),),
          direction="higher", target=None, edition="library convention (issue 14)",
          source="seed 001 “成立專業教學指導委員會” [U]; seed 002 “专家咨询委员会” [U]", grade="U", provisional=True),
    _mcount("steering_enterprise_member_count", "专业建设指导委员会企业委员人数",
            "Firm members of programme steering committees", "persons", "committees",
            (_is("committee_type", "steering"), _is("member_type", "enterprise")),
            "seed 003 “成立了专业教学指导委员会” [U]"),
    _mcount("group_member_units", "职教集团（联盟）成员单位数", "Member organisations of vocational groups",
            "enterprises", "committees", (_is("committee_type", "group"),),
            "seed 002 “总共达到了37家成员单位” [U]", distinct="organisation"),
    # --- services to firms ---------------------------------------------------------------------------
    _mcount("service_project_count", "社会服务项目数", "Service projects for firms", "projects", "services", (),
            "seed 002 “开展技术咨询、技术培训和技能鉴定等服务项目共28项” [U]"),
    _mcount("tech_project_count", "技改与技术攻关项目数", "Technical improvement and problem-solving projects",
            "projects", "services", (Filter("service_type", "in", ("tech_improvement", "tech_tackling")),),
            "seed 002 “类似的技改项目有5个” [U]; seed 004 “课题攻关” [U]"),
    _msum("patent_count", "校企联合专利数", "Patents with firms", "patents", "services", "patents",
          _SVC + "知识产权项目数; seed 002 “校企共同申报获得国家专利3项” [U]"),
    _mcount("transfer_count", "成果转化项目数", "Technology transfers", "projects", "services",
            (_is("service_type", "transfer"),), "seed 000 “2项专利技术实现了产业化” [U]"),
    _msum("transfer_income", "专利成果转化到款额", "Income from technology transfer", "yuan", "services", "income",
          _SVC + "专利成果转化到款额 [U]", where=(_is("service_type", "transfer"),)),
    _msum("service_income", "社会服务项目到款额", "Income from service projects", "yuan", "services", "income",
          _SVC + "横向技术服务到款额 / 技术交易到款额 [U]"),
    _msum("service_economic_benefit", "社会服务产生的经济效益", "Economic benefit of services", "yuan", "services",
          "economic_benefit", _SVC + "横向技术服务产生的经济效益; seed 000 “产值突破9000万元” [U]"),
    _msum("trainees_total", "培训人数", "People trained", "persons", "services", "trainees",
          "seed 002 “为874人提供了职业技能培训与鉴定服务” [U]"),
    _msum("training_person_times", "培训人次", "Training person-times", "person_times", "services", "person_times",
          "seed 004 “年组织企业高级工以上高技能人才培训500人次以上” [U]"),
    _msum("service_training_person_days", "培训人日（项目表）", "Training person-days (projects)", "person_days",
          "services", "person_days", _SRC_A75 + " (学校为企业年培训员工数, 人天)"),
    _msum("high_skill_training_person_times", "高技能人才培训人次", "High-skill training person-times",
          "person_times", "services", "person_times",
          "seed 004 “年组织企业高级工以上高技能人才培训500人次以上” [U]", where=(_is("training_kind", "high_skill"),)),
    _ratio("training_income_per_trainee", "人均培训到款额", "Training income per person trained",
           "yuan_per_person",
           Measure("sum", "income", (Filter("service_type", "in", ("training", "appraisal")),), "services"),
           Measure("sum", "trainees", (Filter("service_type", "in", ("training", "appraisal")),), "services"),
           direction="none", target=None, edition="library convention (issue 14)",
           source="seed 002 “为874人提供了职业技能培训与鉴定服务,为学校带来经济效益 25.7万元” (= 294 元/人) [U]",
           grade="U", provisional=True, notes="Training and appraisal projects; delta-method interval over projects."),
)
